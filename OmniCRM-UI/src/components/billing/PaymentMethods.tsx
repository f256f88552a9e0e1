/** The customer's saved cards (spec 07 §1.4-1.7): filled in when the Stripe payment-method API is available. */
export function PaymentMethodsCard(_props: { customer: { customer_id: number; customer_name: string } }) {
  return null;
}
