"""SMSFactor endpoints: each parses, authenticates, calls one service, renders."""

from __future__ import annotations

from relais.api.smsfactor import translate
from relais.api.smsfactor.endpoint import date_param, endpoint, int_param, path_id
from relais.services import campaigns, credits
from relais.services.sending import numbers


@endpoint
async def send_single(platform, account, request, body):
    submission = translate.single_submission(request.query_params)
    report = await numbers.send(platform, account=account, submission=submission)
    return translate.send_fields(report)


@endpoint
async def simulate_single(platform, account, request, body):
    submission = translate.single_submission(request.query_params)
    report = await numbers.send(platform, account=account, submission=submission, simulate=True)
    return translate.send_fields(report)


@endpoint
async def send_campaign(platform, account, request, body):
    submission = translate.campaign_submission(body)
    report = await numbers.send(platform, account=account, submission=submission)
    return translate.send_fields(report)


@endpoint
async def simulate_campaign(platform, account, request, body):
    submission = translate.campaign_submission(body)
    report = await numbers.send(platform, account=account, submission=submission, simulate=True)
    return translate.send_fields(report)


@endpoint
async def cancel_campaign(platform, account, request, body):
    balance = await campaigns.cancel_campaign(
        platform, account=account, campaign_id=path_id(request)
    )
    return {"credits": balance}


# --- account and campaigns ------------------------------------------------------------


@endpoint
async def get_credits(platform, account, request, body):
    # An unlimited sub-account spends, and so shows, its parent's balance.
    balance = await credits.balance(platform, account_id=account.billing_account_id)
    return {
        "credits": str(balance),
        "postpaid": "0",
        "postpaid_limit": False,
        "unlimited": account.unlimited,
    }


@endpoint
async def get_campaign(platform, account, request, body):
    report = await campaigns.get_campaign(platform, account=account, campaign_id=path_id(request))
    return {"campaign": [translate.campaign_fields(report)]}


@endpoint
async def list_campaigns(platform, account, request, body):
    params = request.query_params
    page = await campaigns.list_campaigns(
        platform,
        account=account,
        start=int_param(params, "start", 0),
        length=int_param(params, "length", 100),
        sort=params.get("sort") or "-id",
        date_start_ms=date_param(params, "date_start"),
        date_end_ms=date_param(params, "date_end"),
        text=params.get("text") or None,
        sms_min=int_param(params, "sms_min", None),
        sms_max=int_param(params, "sms_max", None),
        destination=params.get("destination") or None,
    )
    return {
        "campaigns": [translate.campaign_fields(r) for r in page.reports],
        "totalRecords": page.total,
        "totalDisplayRecords": page.filtered,
    }
