"""The public prepaid top-up portal's API (/oam, spec 05 §10): top-ups paid with a Stripe PaymentIntent."""
