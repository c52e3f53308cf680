"""The OpenAPI 3 document of the JSON API and the SPARQL endpoint, served at /api/openapi.json."""
from __future__ import annotations

ERROR = {"$ref": "#/components/schemas/Error"}


def _param(name: str, description: str, required: bool = False, schema: dict | None = None, many: bool = False) -> dict:
    schema = schema or {"type": "string"}
    if many:
        schema = {"type": "array", "items": schema}
    return {"name": name, "in": "query", "required": required, "description": description, "schema": schema,
            **({"style": "form", "explode": True} if many else {})}


def _errors(*codes: int) -> dict:
    text = {400: "Invalid request", 403: "Forbidden query", 404: "No such record", 406: "Not acceptable",
            413: "Too large", 415: "Unsupported body", 429: "Over this client's request budget (see Retry-After)",
            503: "Unavailable or timed out"}
    return {str(c): {"description": text[c], "content": {"application/json": {"schema": ERROR}}} for c in codes}


FILTERS = [
    _param("department", "Science department letter (A–H, T)", many=True),
    _param("application_code", "申请代码, e.g. F0201", many=True),
    _param("project_type", "Project type notation", many=True),
    _param("tier", "Obligation tier", schema={"type": "string", "enum": ["obliged", "encouraged", "other"]}, many=True),
    _param("institution", "Institution IRI", many=True),
    _param("region", "Region", many=True),
    _param("year", "Approval or publication year", many=True),
]
PAGING = [_param("page", "Page (1-based)", schema={"type": "integer", "minimum": 1}),
          _param("per_page", "Results per page (≤ 100)", schema={"type": "integer", "minimum": 1, "maximum": 100}),
          _param("sort", "Order", schema={"type": "string", "enum": ["relevance", "recent", "significance"]})]
JSON_OK = {"description": "OK", "content": {"application/json": {"schema": {"type": "object"}}}}


def document() -> dict:
    return {
        "openapi": "3.0.3",
        "info": {"title": "SciPop KG API", "version": "1.0",
                 "description": "Search, talent lookup, unpopularized results, entity data and reports of the "
                                "science-popularization knowledge graph. Anonymous callers see the public view only. "
                                "Every error has the shape {\"error\": {\"code\", \"message\", \"hint\", \"details\"}}; "
                                "hint and details are left out when empty."},
        "paths": {
            "/api/search": {"get": {
                "summary": "Full-text search over projects, researchers, outputs, works and institutions",
                "parameters": [_param("q", "Words in Chinese or English"),
                               _param("kind", "Entity kind", schema={"type": "string", "enum": [
                                   "project", "researcher", "output", "work", "institution"]}),
                               _param("popularized", "yes/no", many=True), _param("in_pool", "yes/no", many=True),
                               _param("output_kind", "Research output kind", many=True),
                               _param("work_kind", "Popular-science work kind", many=True),
                               _param("title", "Job title (职称) of researchers", many=True)]
                + FILTERS + PAGING,
                "responses": {"200": {"description": "Results with facets",
                                      "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SearchResults"}}}},
                              **_errors(400, 404, 413, 429, 503)}}},
            "/api/talent": {"get": {
                "summary": "People for the popularization talent pool, with evidence",
                "parameters": [_param("topic", "Research topic", required=True), _param("department", "Department letter"),
                               _param("institution", "Institution IRI"), _param("region", "Region"),
                               _param("title", "职称"),
                               _param("in_pool", "yes: only pool members; no: only people not yet in the pool",
                                      schema={"type": "string", "enum": ["yes", "no"]}),
                               _param("limit", "At most (≤ 100)", schema={"type": "integer", "minimum": 1, "maximum": 100})],
                "responses": {"200": {"description": "People, best first", "content": {"application/json": {"schema": {
                    "type": "object", "properties": {
                        "topic": {"type": "string"}, "hits": {"type": "array", "items": {"type": "object"}},
                        "notes": {"$ref": "#/components/schemas/Notes"}}}}}},
                              **_errors(400, 404, 413, 429, 503)}}},
            "/api/unpopularized": {"get": {
                "summary": "Funded projects with results but no approved popular-science work",
                "parameters": [_param("q", "Words")] + FILTERS + PAGING,
                "responses": {"200": {"description": "Projects, as search results",
                                      "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SearchResults"}}}},
                              **_errors(400, 404, 413, 429, 503)}}},
            "/api/entity": {"get": {
                "summary": "One record: data, links with provenance, popularization status",
                "parameters": [_param("iri", "Entity IRI", required=True)],
                "responses": {"200": JSON_OK, **_errors(400, 404)}}},
            "/api/stats": {"get": {"summary": "Counts by kind, department, year; coverage",
                                   "responses": {"200": JSON_OK}}},
            "/api/departments/{letter}": {"get": {
                "summary": "A science department's projects, coverage, top institutions, obliged gaps",
                "parameters": [{"name": "letter", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": {"200": JSON_OK, **_errors(404)}}},
            "/api/reports/coverage": {"get": {
                "summary": "Popularization coverage per department and tier",
                "parameters": [_param("format", "json (default), csv or xlsx"),
                               _param("table", "Which table for CSV: coverage-department or coverage-tier")],
                "responses": {"200": {"description": "The coverage counts", "content": {
                    "application/json": {}, "text/csv": {},
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {}}}, **_errors(400)}}},
            "/api/reports/{name}": {"get": {
                "summary": "Gap, compliance or indicator report (kg/reports.py, kg/indicators.py)",
                "parameters": [{"name": "name", "in": "path", "required": True,
                                "schema": {"type": "string", "enum": ["gaps", "compliance", "indicators"]}},
                               _param("by", "department, code, type, tier, institution, year (per report)"),
                               _param("year", "Approval year", schema={"type": "integer"}),
                               _param("drill", "gaps only: one group's unpopularized items, each with why"),
                               _param("format", "json (default), csv or xlsx"), _param("table", "Which table for CSV")],
                "responses": {"200": {"description": "The report", "content": {
                    "application/json": {}, "text/csv": {},
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {}}}, **_errors(400, 404)}}},
            "/api/recommend": {"get": {
                "summary": "Special-fund recommendations with each factor's contribution (kg/recommend.py)",
                "parameters": [_param("top", "How many (1-100, default 20)", schema={"type": "integer"}),
                               _param("theme", "A theme to fit (timeliness)"),
                               _param("department", "A-H, T or a department name"),
                               _param("year", "Approval year", schema={"type": "integer"})],
                "responses": {"200": JSON_OK, **_errors(400)}}},
            "/sparql": {
                "get": {"summary": "SPARQL 1.1 Protocol query (read-only)",
                        "parameters": [_param("query", "SPARQL query (≤ 10 KB)"),
                                       _param("format", "json, xml, csv, tsv; ttl, nt, jsonld, rdfxml")],
                        "responses": {"200": {"description": "Results", "content": {
                            "application/sparql-results+json": {}, "application/sparql-results+xml": {},
                            "text/csv": {}, "text/tab-separated-values": {}, "text/turtle": {},
                            "application/n-triples": {}, "application/ld+json": {}, "application/rdf+xml": {}}},
                            **_errors(400, 403, 406, 413, 503)}},
                "post": {"summary": "SPARQL 1.1 Protocol query by POST",
                         "requestBody": {"content": {
                             "application/sparql-query": {"schema": {"type": "string"}},
                             "application/x-www-form-urlencoded": {"schema": {
                                 "type": "object", "properties": {"query": {"type": "string"}}}}}},
                         "responses": {"200": {"description": "Results"}, **_errors(400, 403, 406, 413, 415, 503)}}},
        },
        "components": {"schemas": {
            "Error": {"type": "object", "required": ["error"], "properties": {"error": {
                "type": "object", "required": ["code", "message"],
                "properties": {"code": {"type": "string"}, "message": {"type": "string"}, "hint": {"type": "string"},
                               "details": {"type": "object"}}}}},
            "SearchResults": {"type": "object", "properties": {
                "total": {"type": "integer"}, "took_ms": {"type": "number"},
                "facets": {"type": "object", "additionalProperties": {"type": "object",
                                                                      "additionalProperties": {"type": "integer"}}},
                "hits": {"type": "array", "items": {"type": "object", "properties": {
                    "iri": {"type": "string"}, "kind": {"type": "string"}, "label": {"type": "string"},
                    "score": {"type": "number"}, "snippet": {"type": "string"}, "fields": {"type": "object"},
                    "evidence": {"type": "array", "items": {"type": "object"}}}}},
                "notes": {"$ref": "#/components/schemas/Notes"}}},
            "Notes": {"type": "array", "items": {"type": "string"},
                      "description": "Only on an empty answer: what in the request may explain it "
                                     "(a region value that names no province-level region)."},
        }},
    }
