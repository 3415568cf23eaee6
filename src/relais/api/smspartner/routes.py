"""The SMSPartner URL map, under /v1 (api_reference §2)."""

from __future__ import annotations

from starlette.routing import Mount, Route

from relais.api.smspartner import (
    views_account,
    views_bulk,
    views_contacts,
    views_send,
    views_status,
    views_stop,
    views_subaccounts,
)
from relais.api.smspartner.endpoint import not_found

ALL_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")

routes = [
    Mount(
        "/v1",
        routes=[
            Route("/send", views_send.send, methods=["GET", "POST"]),
            Route("/bulk-send", views_bulk.bulk_send, methods=["POST"]),
            Route("/message-cancel", views_status.message_cancel, methods=["GET"]),
            Route("/message-status", views_status.message_status, methods=["GET"]),
            Route("/multi-status", views_status.multi_status, methods=["POST"]),
            Route("/bulk-status", views_status.bulk_status, methods=["GET"]),
            Route("/bulk-status-by-tag", views_status.bulk_status_by_tag, methods=["GET"]),
            Route("/me", views_account.me, methods=["GET"]),
            Route("/stop-sms/list", views_stop.stop_list, methods=["GET"]),
            Route("/stop-sms/add", views_stop.stop_add, methods=["POST"]),
            Route("/stop-sms/delete", views_stop.stop_delete, methods=["GET"]),
            Route("/group/add", views_contacts.group_add, methods=["POST"]),
            Route("/group/delete", views_contacts.group_delete, methods=["DELETE", "POST"]),
            Route("/group/list", views_contacts.group_list, methods=["GET"]),
            Route("/contact/add", views_contacts.contact_add, methods=["POST"]),
            Route("/contact/multiple/add", views_contacts.contact_add_many, methods=["POST"]),
            Route("/contact/update", views_contacts.contact_update, methods=["POST"]),
            Route("/contact/delete", views_contacts.contact_delete, methods=["POST", "DELETE"]),
            Route("/contact/detail", views_contacts.contact_detail, methods=["GET"]),
            Route("/contact/list", views_contacts.contact_list, methods=["GET"]),
            Route("/subaccount/create", views_subaccounts.create, methods=["POST"]),
            Route("/subaccount/remove", views_subaccounts.remove, methods=["DELETE", "POST"]),
            Route("/subaccount/list", views_subaccounts.list_all, methods=["GET"]),
            Route("/subaccount/credit/add", views_subaccounts.credit_add, methods=["POST"]),
            Route("/subaccount/credit/remove", views_subaccounts.credit_remove, methods=["POST"]),
            # Last: what no route above takes (an unknown path, or a known one's wrong method).
            Route("/{path:path}", not_found, methods=[*ALL_METHODS]),
        ],
    )
]
