"""Card payments through Stripe: stored cards, charging invoices and playbook charges, refunds, webhooks,
expiring-card reminders (spec 06 §14-15, spec 07 §1, §2.12, §2.15)."""
