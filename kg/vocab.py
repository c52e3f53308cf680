"""Vocabulary terms: the one place where ontology IRIs are spelled.

Every term here is declared in `ontology.ttl` (a test checks both directions), and
every other module refers to terms through this module, never as strings.
Standard vocabularies are reused where they fit (schema.org, DCTERMS, FOAF, PROV,
SKOS, BIBO); `SP` holds what they lack.
"""
from __future__ import annotations

from rdflib import Namespace
from rdflib.namespace import DCTERMS, FOAF, OWL, PROV, RDF, RDFS, SKOS, XSD

SP = Namespace("https://w3id.org/scipop/ontology#")
SCHEMA = Namespace("https://schema.org/")
BIBO = Namespace("http://purl.org/ontology/bibo/")
SH = Namespace("http://www.w3.org/ns/shacl#")
VIVO = Namespace("http://vivoweb.org/ontology/core#")
FRAPO = Namespace("http://purl.org/cerif/frapo/")

PREFIXES: dict[str, Namespace] = {
    "sp": SP, "schema": SCHEMA, "dcterms": DCTERMS, "foaf": FOAF, "prov": PROV,
    "skos": SKOS, "bibo": BIBO, "rdf": RDF, "rdfs": RDFS, "owl": OWL, "xsd": XSD,
    "sh": SH, "vivo": VIVO, "frapo": FRAPO,
}

# --- Classes -------------------------------------------------------------------------
FundedProject = SP.FundedProject
Researcher = SP.Researcher
SupportingInstitution = SP.SupportingInstitution
Organization = SCHEMA.Organization       # any other organization (authors' affiliations)
ResearchOutput = SP.ResearchOutput
PopularScienceWork = SP.PopularScienceWork
Affiliation = SP.Affiliation
Authorship = SP.Authorship
TalentPoolMembership = SP.TalentPoolMembership
QualifiedLink = SP.QualifiedLink
CurationDecision = SP.CurationDecision
SourceFile = SP.SourceFile
SystemGraph = SP.SystemGraph
IngestActivity = SP.IngestActivity
# Controlled lists (SKOS concept classes and schemes)
ProjectType = SP.ProjectType
ObligationTier = SP.ObligationTier
ScienceDepartment = SP.ScienceDepartment
ApplicationCode = SP.ApplicationCode
OutputKind = SP.OutputKind
WorkKind = SP.WorkKind
ReviewStatus = SP.ReviewStatus
PopularizationEvent = SP.PopularizationEvent
PopularizationStatus = SP.PopularizationStatus
LinkMethod = SP.LinkMethod
ProjectTypeScheme = SP.ProjectTypeScheme
ObligationTierScheme = SP.ObligationTierScheme
DepartmentScheme = SP.DepartmentScheme
ApplicationCodeScheme = SP.ApplicationCodeScheme
OutputKindScheme = SP.OutputKindScheme
WorkKindScheme = SP.WorkKindScheme
ReviewStatusScheme = SP.ReviewStatusScheme
EventScheme = SP.EventScheme
PopularizationStatusScheme = SP.PopularizationStatusScheme
LinkMethodScheme = SP.LinkMethodScheme

# --- Project properties --------------------------------------------------------------
approvalNumber = SP.approvalNumber
title = DCTERMS.title                     # language-tagged: @zh, @en
abstract = DCTERMS.abstract               # language-tagged
concludingAbstract = SP.concludingAbstract
keyword = SCHEMA.keywords                 # one literal per keyword, language-tagged
projectType = SP.projectType
department = SP.department
applicationCode = SP.applicationCode
amountWan = SP.amountWan                  # xsd:decimal, in 万元 (10,000 CNY)
startDate = SCHEMA.startDate              # xsd:gYearMonth or xsd:date
endDate = SCHEMA.endDate
approvalYear = SP.approvalYear            # xsd:integer
concluded = SP.concluded                  # xsd:boolean
popularizationReport = SP.popularizationReport  # 项目成果科普性介绍或展示网站
principalInvestigator = SP.principalInvestigator
member = SP.member
hostedBy = SP.hostedBy
reviewStatus = SP.reviewStatus
sourceRecordId = SP.sourceRecordId        # the id the source itself uses for the record

# --- Researcher properties -----------------------------------------------------------
name = SCHEMA.name                        # language-tagged (zh characters, en pinyin)
alternateName = SCHEMA.alternateName
orcid = SP.orcid
personId = SP.personId
jobTitle = SCHEMA.jobTitle
email = SCHEMA.email                      # restricted: never in the public view
expertise = SP.expertise
affiliation = SP.affiliation              # -> Affiliation (dated)
affiliationOrg = SP.affiliationOrg
currentInstitution = SCHEMA.affiliation
talentPoolMembership = SP.talentPoolMembership
since = SP.since
nominatedBy = SP.nominatedBy

# --- Institution properties ----------------------------------------------------------
ror = SP.ror
region = SP.region
institutionId = SP.institutionId

# --- Output properties ---------------------------------------------------------------
outputKind = SP.outputKind
doi = BIBO.doi
oarHandle = SP.oarHandle
authorship = SP.authorship                # -> Authorship (ordered)
author = SP.author
authorRank = SP.authorRank
authorName = SP.authorName
venue = SP.venue
publicationYear = SP.publicationYear
acknowledgedGrant = SP.acknowledgedGrant  # approval number as stated by the record
acknowledgement = SP.acknowledgement      # the funding/acknowledgement text itself
citationCount = SP.citationCount
resultOf = SP.resultOf                    # output -> project (direct link; see QualifiedLink)
sameAs = OWL.sameAs

# --- Popular-science work properties ------------------------------------------------
workKind = SP.workKind
creator = DCTERMS.creator
creatorName = SP.creatorName
channel = SP.channel
url = SCHEMA.url
datePublished = SCHEMA.datePublished
audience = SP.audience
views = SP.views
likes = SP.likes
shares = SP.shares
attendance = SP.attendance
award = SCHEMA.award
atEvent = SP.atEvent
popularizes = SP.popularizes              # work -> project or output
statedGrant = SP.statedGrant              # approval number named by the work
statedDoi = SP.statedDoi                  # DOI named by the work

# --- Qualified links: where a link came from and how sure we are --------------------
linkSubject = SP.linkSubject
linkRelation = SP.linkRelation
linkObject = SP.linkObject
linkMethod = SP.linkMethod
confidence = SP.confidence
evidence = SP.evidence
rank = SP.rank                            # a LinkMethod's strength, 1 = strongest

# --- Provenance of source files (PROV) -----------------------------------------------
sourceName = SP.sourceName
sha256 = SP.sha256
contentDigest = SP.contentDigest   # a written graph's stamp (kg.graphstate)
sourceFormat = DCTERMS.format
recordCount = SP.recordCount
rejectCount = SP.rejectCount
restrictedGraph = SP.restrictedGraph
generatedAtTime = PROV.generatedAtTime
wasDerivedFrom = PROV.wasDerivedFrom
wasGeneratedBy = PROV.wasGeneratedBy

# --- Derived facts (materialized after each ingest) ----------------------------------
obligationTier = SP.obligationTier
popularizationStatus = SP.popularizationStatus
outputCount = SP.outputCount
workCount = SP.workCount
isPopularized = SP.isPopularized
popularizedOutputCount = SP.popularizedOutputCount  # project: outputs an approved work popularizes
AggregateTable = SP.AggregateTable          # a report's counts per group and year (kg.rollup)
aggregateTable = SP.aggregateTable          # its JSON text
# Gap counts as statistical observations (one per department, project type and approval year):
# what SPARQL users aggregate most, read as a few thousand nodes instead of joining every project.
GapObservation = SP.GapObservation
gapDepartment = SP.gapDepartment
gapProjectType = SP.gapProjectType
gapApprovalYear = SP.gapApprovalYear
projectCount = SP.projectCount
popularizedProjectCount = SP.popularizedProjectCount
unpopularizedProjectCount = SP.unpopularizedProjectCount
noResultsProjectCount = SP.noResultsProjectCount
# Talent-pool counts per field of expertise (one per expertise literal stated by a member):
# the talent-pool question read as a few thousand nodes instead of joining every member.
TalentPoolObservation = SP.TalentPoolObservation
observedExpertise = SP.observedExpertise
memberCount = SP.memberCount
memberWithWorksCount = SP.memberWithWorksCount
memberWorkCount = SP.memberWorkCount

# --- Curation decisions (curation graph): who decided what about which project, when --
RepresentativeAchievementFlag = SP.RepresentativeAchievementFlag  # a department's 代表性成果 recommendation
FundSelectionDecision = SP.FundSelectionDecision  # the centre's decision for the special popularization fund
curatedEntity = SP.curatedEntity          # decision -> the project it is about
curatorName = SP.curatorName              # who decided, as they gave their name
selected = SP.selected                    # xsd:boolean: selected (true) or rejected (false)

# --- Controlled-list members -------------------------------------------------------------
# Review status: only Approved is public.
Approved = SP.Approved
Pending = SP.Pending
Rejected = SP.Rejected
Confidential = SP.Confidential
# Obligation tiers
TierObliged = SP.TierObliged
TierEncouraged = SP.TierEncouraged
TierOther = SP.TierOther
# Popularization status of a project
Popularized = SP.Popularized
ResultsUnpopularized = SP.ResultsUnpopularized
NoKnownResults = SP.NoKnownResults
# Link methods, strongest first
MethodCurator = SP.MethodCurator
MethodOARField = SP.MethodOARField
MethodFunderMetadata = SP.MethodFunderMetadata
MethodStatedByWork = SP.MethodStatedByWork
MethodAcknowledgementMining = SP.MethodAcknowledgementMining
MethodNameMatch = SP.MethodNameMatch
# Identity linking (kg.linking): how two IRIs were found to be one entity
MethodIdentifierMatch = SP.MethodIdentifierMatch  # the same ORCID, ROR id or DOI
MethodSameRole = SP.MethodSameRole                # PI of one project / author k of one output in two sources
MethodGrantTeam = SP.MethodGrantTeam              # a paper or work tied to a grant whose team has the name
MethodTitleMatch = SP.MethodTitleMatch            # same title, year and first author (outputs without DOI)
IdentityDecision = SP.IdentityDecision            # a merge (owl:sameAs) or keep-apart (owl:differentFrom) decision
differentFrom = OWL.differentFrom
# Events
ScienceAndTechnologyWeek = SP.ScienceAndTechnologyWeek
SciencePopularizationDay = SP.SciencePopularizationDay
ScienceAndTechnologyWorkersDay = SP.ScienceAndTechnologyWorkersDay


def concept(local_name: str):
    """A controlled-list member by its local name, e.g. concept('TypeGeneral').

    Only for names declared in ontology.ttl; `kg.concepts` resolves labels to these.
    """
    return SP[local_name]
