"""Sending: one module per use case. numbers.py sends to explicit numbers (single and bulk),
lists.py to contact lists (survey.py plans their pages, write_pass.py writes them, recovery.py
closes them); common.py holds what both share. The rules they apply live in core
(core.screening, core.send_rules, core.templates, core.pricing)."""
