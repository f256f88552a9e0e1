"""Small clients for the systems OmniCRM talks to: CGRateS, Mailjet, Stripe, Google Maps."""
