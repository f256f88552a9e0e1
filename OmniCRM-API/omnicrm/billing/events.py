"""Billing moments that other domains react to (e-mail, notifications) without billing importing them.

Senders fire a signal only after their change is committed, because a receiver may send an e-mail (which cannot be
rolled back) and commits its own outbox row. Receivers are connected when the app is created.
"""
from blinker import Namespace

_signals = Namespace()

# An invoice became paid, by any method (staff-entered or card). sender: the Invoice.
invoice_paid = _signals.signal("invoice-paid")
# An invoice is final and should go to the customer (e.g. issued by the bill run). sender: the Invoice.
invoice_issued = _signals.signal("invoice-issued")
# A paid invoice was refunded. sender: the Invoice.
invoice_refunded = _signals.signal("invoice-refunded")
