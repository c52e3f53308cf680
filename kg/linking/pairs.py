"""Hand-labelled person pairs: each a small world of records, resolved alone and compared with its label.

One JSON object per line (tests/data/linking/person_pairs.jsonl):

    {"id": "pp001", "label": "same" | "different", "case": "what makes it hard",
     "persons": {"a": {"iri": "nsfc-100001", "names": ["王伟"], "orgs": ["清华大学"], "orcid": "0000-…"},
                 "b": {"iri": "openalex-A123", "names": ["Wei Wang"], "orgs": ["Tsinghua University"]}, …},
     "projects": [{"id": "61772368", "pi": "a", "members": ["c"], "claims": ["b"]}],
     "outputs": [{"id": "10.1000/x1", "grants": ["61772368"], "authors": ["c", "b"], "claims": ["d"]}],
     "works": [{"id": "w1", "grants": ["61772368"], "creators": ["b"]}],
     "pair": ["a", "b"]}

A person's kind comes from its `iri` prefix (nsfc-, orcid-, openalex-, anything else is a
name mention; `"name_only": true` marks a mention a source minted from the name alone,
without institution); `orgs` are institution names as a source writes them, resolved with
the alias table; `authors` are in rank order; `claims` on a project or output are ORCID
records claiming it (member of the grant, or a work without author rank).
"""
from __future__ import annotations

import json
from pathlib import Path

from kg.linking.institutions import OrgRecord, link_institutions
from kg.linking.persons import PersonInput, PersonRecord, resolve_persons


def load_pairs(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def _kind(iri: str) -> str:
    for kind in ("nsfc", "orcid", "openalex"):
        if iri.startswith(kind + "-"):
            return kind
    return "mention"


def build_input(world: dict) -> tuple[PersonInput, dict[str, int]]:
    """The PersonInput of one labelled world, and its person keys -> node numbers."""
    org_names = sorted({name for person in world["persons"].values() for name in person.get("orgs", [])})
    orgs = link_institutions([OrgRecord(iri=f"org:{name}", names={name}) for name in org_names])
    canonical = {name: orgs.canonical_of(i) for i, name in enumerate(org_names)}
    keys = sorted(world["persons"])
    position = {key: i for i, key in enumerate(keys)}
    records = []
    for key in keys:
        person = world["persons"][key]
        iri = person.get("iri", f"h-{key}")
        kind = _kind(iri)
        record = PersonRecord(iri=iri, kind=kind, names=set(person.get("names", [])),
                              orgs={canonical[name] for name in person.get("orgs", [])},
                              context_free=bool(person.get("name_only")))
        if kind == "nsfc":
            record.ids["NSFC person id"] = iri[len("nsfc-"):]
        if kind == "orcid":
            record.ids["ORCID"] = iri[len("orcid-"):]
        elif person.get("orcid"):
            record.ids["ORCID"] = person["orcid"]
        records.append(record)
    data = PersonInput(records=records)
    for project in world.get("projects", []):
        pid = f"project/{project['id']}"
        if project.get("pi"):
            data.roles.append((pid, position[project["pi"]], "pi"))
        data.roles += [(pid, position[m], "member") for m in project.get("members", [])]
        data.roles += [(pid, position[m], "claim") for m in project.get("claims", [])]
    for output in world.get("outputs", []):
        oid = f"output/{output['id']}"
        data.authorships += [(oid, position[a], rank) for rank, a in enumerate(output.get("authors", []), start=1)]
        data.authorships += [(oid, position[a], None) for a in output.get("claims", [])]
        if output.get("grants"):
            data.output_projects[oid] = {f"project/{g}" for g in output["grants"]}
    for work in world.get("works", []):
        wid = f"work/{work['id']}"
        data.work_creators += [(wid, position[c]) for c in work.get("creators", [])]
        if work.get("grants"):
            data.work_projects[wid] = {f"project/{g}" for g in work["grants"]}
    return data, position


def same_person(world: dict) -> bool:
    """Does linking put the world's pair in one cluster?"""
    data, position = build_input(world)
    links = resolve_persons(data)
    a, b = world["pair"]
    return links.clusters.find(position[a]) == links.clusters.find(position[b])


def evaluate_pairs(pairs: list[dict]) -> dict:
    """Precision/recall/F1 of 'same' decisions over labelled pairs, and the pairs decided wrongly."""
    tp = predicted = true = 0
    errors = []
    for world in pairs:
        linked = same_person(world)
        label = world["label"] == "same"
        tp += linked and label
        predicted += linked
        true += label
        if linked != label:
            errors.append(f"{world['id']} ({world.get('case', '')}): labelled {world['label']}, "
                          f"linked {'same' if linked else 'different'}")
    precision = tp / predicted if predicted else 1.0
    recall = tp / true if true else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"pairs": len(pairs), "precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4),
            "tp": tp, "predicted": predicted, "true": true, "errors": errors}
