import { Alert, Button, Modal, Radio, Stack, Text } from "@mantine/core";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { errorMessage } from "../../api";
import { formatMoney } from "../../config";
import { notifySuccess } from "../../lib/feedback";
import type { Invoice } from "../api";
import { cardLabel, loadStripe, payInvoice, type StripeConfig } from "../stripe";
import { AddCardForm, useCards } from "./PaymentMethods";

/** Pay Now (spec 07 §2.12, §6.6): a saved card or a new one (saved first, through Stripe Elements), 3-D Secure in
 * the browser when the bank asks for it. */
export function PayInvoiceModal({ invoice, customerId, config, holder, onClose }: {
  invoice: Invoice | null; customerId: number; config: StripeConfig; holder: string; onClose: () => void;
}) {
  const { t } = useTranslation("portal");
  const queryClient = useQueryClient();
  const cards = useCards(customerId, invoice !== null);
  const [choice, setChoice] = useState<string | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  useEffect(() => {
    const usable = (cards.data ?? []).filter((c) => !c.expired);
    setChoice((current) => current ?? (usable.find((c) => c.is_default) ?? usable[0])?.card_id.toString() ?? (cards.data ? "new" : null));
  }, [cards.data]);
  useEffect(() => { if (!invoice) { setChoice(null); setFailure(null); } }, [invoice]);
  const pay = useMutation({
    mutationFn: (cardId: number) => payInvoice(invoice!.invoice_id, cardId, () => loadStripe(config)),
    onSuccess: () => {
      notifySuccess(t("cards.paid", { id: invoice!.invoice_id }));
      for (const key of [["portal", "invoices"], ["portal", "alerts"], ["portal", "transactions"]]) void queryClient.invalidateQueries({ queryKey: key });
      onClose();
    },
    onError: (error) => setFailure(errorMessage(error)),
  });
  return (
    <Modal opened={invoice !== null} onClose={onClose} title={invoice ? t("cards.payTitle", { id: invoice.invoice_id }) : ""} data-testid="pay-invoice">
      {invoice && (
        <Stack>
          <Text fw={700} size="lg">{formatMoney(invoice.retail_cost)}</Text>
          <Radio.Group label={t("cards.payWith")} value={choice} onChange={setChoice}>
            <Stack gap="xs" mt="xs">
              {(cards.data ?? []).filter((c) => !c.expired).map((card) => <Radio key={card.card_id} value={String(card.card_id)} label={cardLabel(card)} />)}
              <Radio value="new" label={t("cards.newCard")} data-testid="pay-new-card" />
            </Stack>
          </Radio.Group>
          {choice === "new" ? (
            <AddCardForm customerId={customerId} config={config} holder={holder} onSaved={(cardId) => setChoice(String(cardId))} />
          ) : (
            <>
              {failure && <Alert color="red" role="alert">{failure}</Alert>}
              <Button onClick={() => { setFailure(null); pay.mutate(Number(choice)); }} disabled={!choice} loading={pay.isPending} data-testid="pay-confirm">
                {t("cards.pay", { amount: formatMoney(invoice.retail_cost) })}
              </Button>
            </>
          )}
        </Stack>
      )}
    </Modal>
  );
}
