"""SMSFactor number lookup and consumption metrics (api_reference §1.10 "HLR" and "Metrics"):
POST /lookup and GET /metrics/consumption."""

from __future__ import annotations

from typing import Any

from starlette.routing import Route

from relais.api.smsfactor.endpoint import endpoint, int_param
from relais.api.smsfactor.translate import as_list
from relais.core.errors import InvalidField
from relais.core.numbering import NumberPlanInfo
from relais.services import consumption, lookup
from relais.services.consumption import Conso

# The live status of a number is not known: there is no lookup connector to ask the network.
_UNKNOWN_STATUS = {
    "name": "UNKNOWN",
    "description": "Live HLR status unknown: no lookup connector is configured; "
    "this answer comes from the numbering plan",
    "detailed": "NUMBERING_PLAN_ONLY",
}
_NO_ERROR = {"id": 0, "description": "No Error", "permanent": False}
_INVALID_STATUS = {
    "name": "REJECTED",
    "description": "Not a valid phone number in the numbering plan; not charged",
    "detailed": "INVALID_NUMBER",
}
_INVALID_ERROR = {"id": 1, "description": "Invalid number", "permanent": True}


def _numbers(body: dict[str, Any]) -> list[str]:
    spec = body.get("lookup")
    if spec is None or spec == "":
        spec = {}
    if not isinstance(spec, dict):
        raise InvalidField('The body must be {"lookup": {"to": ["33612345678", …]}}')
    numbers = []
    for entry in as_list(spec.get("to")):
        if isinstance(entry, bool) or not isinstance(entry, str | int):
            raise InvalidField(f"to: {entry!r} is not a phone number")
        numbers.append(str(entry))
    return numbers


def _lookup_fields(info: NumberPlanInfo) -> dict[str, Any]:
    return {
        "to": info.msisdn if info.valid else info.given,
        "mccMnc": None,
        "imsi": None,
        "originalNetwork": {
            "networkName": info.network_name,
            "networkPrefix": None,
            "countryName": info.country_name,
            "countryPrefix": info.country_prefix,
        },
        "numberType": info.number_type,
        "ported": None,
        "roaming": None,
        "status": _UNKNOWN_STATUS if info.valid else _INVALID_STATUS,
        "error": _NO_ERROR if info.valid else _INVALID_ERROR,
    }


@endpoint
async def lookup_numbers(platform, account, request, body):
    report = await lookup.lookup(platform, account=account, numbers=_numbers(body))
    return {
        "cost": report.cost,
        "credits": report.credits,
        "response": {"lookup": [_lookup_fields(info) for info in report.numbers]},
    }


def _conso_fields(conso: Conso) -> dict[str, Any]:
    return {
        "account_id": conso.account_id,
        "company": conso.company,
        "conso": {"total": conso.total, "by_country": conso.by_country},
    }


@endpoint
async def metrics_consumption(platform, account, request, body):
    params = request.query_params
    report = await consumption.consumption(
        platform,
        account=account,
        date_start=consumption.parse_day(params.get("date_start"), "date_start"),
        date_end=consumption.parse_day(params.get("date_end"), "date_end"),
        countries=consumption.parse_countries(params.get("country")),
        sub_account_id=int_param(params, "sub_account_id", None),
    )
    return {
        "data": {
            "total": report.total,
            "by_country": report.by_country,
            "my_account": _conso_fields(report.my_account),
            "by_sub_accounts": [_conso_fields(sub) for sub in report.sub_accounts],
        }
    }


routes = [
    Route("/lookup", lookup_numbers, methods=["POST"]),
    Route("/metrics/consumption", metrics_consumption, methods=["GET"]),
]
