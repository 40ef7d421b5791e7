"""The billing desk, /team/billing: the billing team (and admins) look up any invoice, refund
a payment or credit an invoice with a reason (alma/billing/adjustments.py), and see the money
in and out by day."""
