"""The few IATI codelist entries Aidbridge reads and writes (IATI Standard codelists, CC BY 4.0).

Names as published in the IATI 2.03 embedded codelists (TransactionType, ActivityStatus, ActivityDateType,
OrganisationRole); see ``aidbridge/interop/data/iati-2.03/NOTICE``.
"""

from __future__ import annotations

TRANSACTION_TYPES = {
    "1": "Incoming Funds", "2": "Outgoing Commitment", "3": "Disbursement", "4": "Expenditure",
    "5": "Interest Payment", "6": "Loan Repayment", "7": "Reimbursement", "8": "Purchase of Equity",
    "9": "Sale of Equity", "10": "Credit Guarantee", "11": "Incoming Commitment", "12": "Outgoing Pledge",
    "13": "Incoming Pledge",
}
# The letter codes of IATI 1.x, still met in files converted to 2.0x by hand.
LEGACY_TRANSACTION_TYPES = {
    "IF": "1", "C": "2", "D": "3", "E": "4", "IR": "5", "LR": "6", "R": "7", "QP": "8", "QS": "9", "CG": "10",
}
INCOMING = frozenset({"1", "11", "13"})  # money received by the reporting organisation: the provider is the donor

ACTIVITY_STATUS_IMPLEMENTATION = "2"
ACTIVITY_STATUS_FINALISATION = "3"

# ActivityDateType: the order in which an activity's dates stand in for a transaction that has none.
ACTIVITY_DATE_TYPES = {"1": "planned start", "2": "actual start", "3": "planned end", "4": "actual end"}
ACTIVITY_DATE_FALLBACK = ("2", "1", "4", "3")

ROLE_FUNDING = "1"
ORGANISATION_TYPE_GOVERNMENT = "10"
ORGANISATION_TYPE_MULTILATERAL = "40"

SECTOR_VOCABULARY_DAC = "1"  # OECD DAC CRS purpose codes, 5 digits
SECTOR_VOCABULARY_REPORTING_ORG = "99"

SUPPORTED_VERSIONS = ("2.01", "2.02", "2.03")


def transaction_type_label(code: str) -> str:
    name = TRANSACTION_TYPES.get(code)
    return f"{code} {name}" if name else f"“{code}”"
