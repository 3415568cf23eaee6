"""SMSPartner's error codes (api_reference §2.7) with the provider's French messages, and the
one exception every SMSPartner view raises to answer with one of them.

Business errors answer HTTP 200 with `{"success": false, "code": N, "message": "..."}`; field
constraints answer code 9 with an `error` list of `{"elementId", "message"}`; a body that is
not JSON answers code 90 with HTTP 400 (§2.1)."""

from __future__ import annotations

from typing import Final

API_KEY_REQUIRED: Final = 1
PHONE_REQUIRED: Final = 2
ID_REQUIRED: Final = 3
NOT_FOUND: Final = 4
ALREADY_CANCELLED: Final = 5
TOO_LATE_TO_CANCEL: Final = 6
ALREADY_SENT: Final = 7
CONSTRAINTS: Final = 9
WRONG_API_KEY: Final = 10
NO_CREDIT: Final = 11
NO_PRICE: Final = 13
STOP_LISTED: Final = 14
ALREADY_LISTED: Final = 15
ACCOUNT_DISABLED: Final = 20
MARKETING_HOURS: Final = 22
MARKETING_DAYS: Final = 23
ACCOUNT_BLOCKED: Final = 30
API_DENIED: Final = 40
LOW_COST_LENGTH: Final = 42
MESSAGE_REQUIRED: Final = 43
SENDER_INVALID: Final = 44
DATE_REQUIRED: Final = 45
TIME_REQUIRED: Final = 46
MINUTE_INVALID: Final = 47
MINUTE_STEP: Final = 48
DATE_INVALID: Final = 49
TOO_MANY_NUMBERS: Final = 50
LOW_COST_NOT_ELIGIBLE: Final = 51
TOO_MANY_PARTS: Final = 52
NO_NUMBER: Final = 55
MALFORMED_JSON: Final = 90
IP_NOT_ALLOWED: Final = 96
QUEUE_PROBLEM: Final = 500
# Status and cancellation reuse some numbers with meanings of their own (§2.7).
EMPTY_LIST: Final = 5
BAD_FORMAT: Final = 6

MESSAGES: Final[dict[int, str]] = {
    API_KEY_REQUIRED: "Clé API requise",
    PHONE_REQUIRED: "Le numéro de téléphone est requis",
    ID_REQUIRED: "L'identifiant du message est requis",
    NOT_FOUND: "Message introuvable",
    ALREADY_CANCELLED: "L'envoi du SMS a déjà été annulé",
    TOO_LATE_TO_CANCEL: (
        "Vous ne pouvez pas annuler un envoi de SMS moins de 5 minutes avant son heure d'envoi"
    ),
    ALREADY_SENT: "Le SMS a déjà été envoyé",
    CONSTRAINTS: "Une ou plusieurs contraintes n'ont pas été respectées",
    WRONG_API_KEY: "Clé API incorrecte",
    NO_CREDIT: "Crédit insuffisant",
    NO_PRICE: "Pas de prix par défaut pour ces numéros",
    STOP_LISTED: "Le numéro est dans la liste des STOP SMS",
    ALREADY_LISTED: "Le numéro est déjà dans la liste",
    ACCOUNT_DISABLED: "Compte désactivé",
    MARKETING_HOURS: "SMS marketing : l'heure d'envoi doit être comprise entre 8h et 20h",
    MARKETING_DAYS: "SMS marketing : pas d'envoi le dimanche ni les jours fériés",
    ACCOUNT_BLOCKED: "Compte bloqué",
    API_DENIED: "Accès à l'API refusé",
    LOW_COST_LENGTH: "Gamme Low Cost : 160 caractères maximum",
    MESSAGE_REQUIRED: "Le message est requis",
    SENDER_INVALID: "L'émetteur n'est pas valide",
    DATE_REQUIRED: "La date d'envoi est requise",
    TIME_REQUIRED: "L'heure n'est pas valide",
    MINUTE_INVALID: "Les minutes ne sont pas valides",
    MINUTE_STEP: "Les minutes doivent être comprises entre 0 et 55, par pas de 5",
    DATE_INVALID: "La date n'est pas valide (format jj/mm/aaaa)",
    TOO_MANY_NUMBERS: "500 numéros maximum par envoi",
    LOW_COST_NOT_ELIGIBLE: "Ces numéros ne sont pas éligibles à la gamme Low Cost",
    TOO_MANY_PARTS: "Le message ne peut pas dépasser 10 SMS concaténés",
    NO_NUMBER: "Aucun numéro à qui envoyer",
    MALFORMED_JSON: "JSON mal formé",
    IP_NOT_ALLOWED: "Adresse IP non autorisée",
    QUEUE_PROBLEM: "Problème lors de la mise en file d'attente",
}


class PartnerError(Exception):
    """An SMSPartner error reply: its code, the French message (the code's own by default),
    the field errors of a code 9, and the HTTP status (200 but for malformed JSON)."""

    def __init__(
        self,
        code: int,
        message: str | None = None,
        *,
        fields: list[tuple[str, str]] | None = None,
        http_status: int = 200,
    ) -> None:
        self.code = code
        self.message = message if message is not None else MESSAGES[code]
        self.fields = fields or []
        self.http_status = http_status
        super().__init__(f"{code}: {self.message}")


def element(field: str) -> str:
    """The `elementId` SMSPartner names a field with."""
    return f"children[{field}].data"


class FieldErrors:
    """Code 9's list, gathered while a request is read; `raise_if_any` ends the reading."""

    def __init__(self) -> None:
        self.items: list[tuple[str, str]] = []

    def add(self, field: str, message: str) -> None:
        self.items.append((element(field), message))

    def raise_if_any(self) -> None:
        if self.items:
            raise PartnerError(CONSTRAINTS, fields=self.items)
