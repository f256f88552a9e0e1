import { Alert, Badge, Button, Card, Group, Loader, Modal, Stack, Text, TextInput } from "@mantine/core";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { ApiError, errorMessage } from "../../api";
import { notifyError, notifySuccess } from "../../lib/feedback";
import { addCard, cardLabel, loadStripe, savedCards, stripeApi, type StripeCardElement, type StripeConfig, type StripeLike } from "../stripe";

export function useStripeConfig() {
  return useQuery({ queryKey: ["stripe-config"], queryFn: stripeApi.config, staleTime: 600_000, retry: false });
}

export function useCards(customerId: number, enabled = true) {
  return useQuery({ queryKey: ["portal", "cards", customerId], queryFn: () => savedCards(customerId), enabled: enabled && customerId > 0, retry: false });
}

/** Stripe Elements' card field, mounted while the form is open (card data never reaches our API). */
export function CardField({ config, onReady }: { config: StripeConfig; onReady: (stripe: StripeLike, card: StripeCardElement) => void }) {
  const target = useRef<HTMLDivElement>(null);
  const [failure, setFailure] = useState<string | null>(null);
  useEffect(() => {
    let element: StripeCardElement | null = null;
    let stale = false;
    loadStripe(config).then((stripe) => {
      if (stale || !target.current) return;
      element = stripe.elements().create("card", { hidePostalCode: true });
      element.mount(target.current);
      onReady(stripe, element);
    }).catch((error: Error) => setFailure(error.message));
    return () => {
      stale = true;
      element?.destroy?.();
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [config.publishable_key]);
  if (failure) return <Alert color="red">{failure}</Alert>;
  return <div ref={target} data-testid="stripe-card-element" style={{ padding: 10, border: "1px solid var(--mantine-color-default-border)", borderRadius: 4, minHeight: 40 }} />;
}

export function AddCardForm({ customerId, config, holder, onSaved }: { customerId: number; config: StripeConfig; holder: string; onSaved: (cardId: number) => void }) {
  const { t } = useTranslation("portal");
  const [name, setName] = useState(holder);
  const [nickname, setNickname] = useState("");
  const [ready, setReady] = useState<{ stripe: StripeLike; card: StripeCardElement } | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const queryClient = useQueryClient();
  const save = useMutation({
    mutationFn: () => addCard(ready!.stripe, ready!.card, customerId, name.trim(), nickname.trim() || undefined),
    onSuccess: (card) => {
      void queryClient.invalidateQueries({ queryKey: ["portal", "cards", customerId] });
      notifySuccess(cardLabel(card));
      onSaved(card.card_id);
    },
    onError: (error) => setFailure(errorMessage(error)),
  });
  return (
    <form onSubmit={(e) => { e.preventDefault(); setFailure(null); save.mutate(); }}>
      <Stack gap="sm">
        <TextInput label={t("cards.holder")} value={name} onChange={(e) => setName(e.currentTarget.value)} required autoComplete="cc-name" />
        <TextInput label={t("cards.nickname")} value={nickname} onChange={(e) => setNickname(e.currentTarget.value)} maxLength={100} />
        <Text size="sm" fw={500}>{t("cards.cardDetails")}</Text>
        <CardField config={config} onReady={(stripe, card) => setReady({ stripe, card })} />
        <Text size="xs" c="dimmed">{t("cards.secure")}</Text>
        {failure && <Alert color="red" role="alert">{failure}</Alert>}
        <Group justify="flex-end"><Button type="submit" disabled={!ready || !name.trim()} loading={save.isPending} data-testid="card-save">{t("cards.save")}</Button></Group>
      </Stack>
    </form>
  );
}

/** Billing → Payment methods (spec 07 §1, §6.6): saved cards, add (Stripe Elements), set default, delete. */
export function PaymentMethods({ customerId, holder }: { customerId: number; holder: string }) {
  const { t } = useTranslation("portal");
  const config = useStripeConfig();
  const cards = useCards(customerId, Boolean(config.data?.configured));
  const queryClient = useQueryClient();
  const [adding, setAdding] = useState(false);
  const refresh = () => queryClient.invalidateQueries({ queryKey: ["portal", "cards", customerId] });
  const setDefault = useMutation({ mutationFn: stripeApi.setDefault, onSuccess: (a) => { notifySuccess(a.message); void refresh(); }, onError: notifyError });
  const remove = useMutation({
    mutationFn: async (cardId: number) => {
      try {
        return await stripeApi.remove(cardId);
      } catch (error) {
        // The last card of a customer with auto-renewing add-ons: the API asks first (409 confirmation_required).
        if (error instanceof ApiError && error.status === 409 && (error.body as { confirmation_required?: boolean })?.confirmation_required) {
          if (window.confirm(error.message)) return stripeApi.remove(cardId, true);
          return null;
        }
        throw error;
      }
    },
    onSuccess: (answer) => { if (answer) { notifySuccess(answer.message); void refresh(); } },
    onError: notifyError,
  });
  if (config.isPending) return <Loader size="sm" />;
  if (!config.data?.configured) return <Text c="dimmed" size="sm" data-testid="cards-not-configured">{t("cards.notConfigured")}</Text>;
  return (
    <Stack gap="sm" data-testid="portal-cards">
      {cards.isError && <Alert color="red">{errorMessage(cards.error)}</Alert>}
      {cards.data?.length === 0 && <Text c="dimmed" size="sm">{t("cards.none")}</Text>}
      {(cards.data ?? []).map((card) => (
        <Card key={card.card_id} withBorder padding="sm" data-testid={`portal-card-${card.card_id}`}>
          <Group justify="space-between" wrap="nowrap">
            <div style={{ minWidth: 0 }}>
              <Text fw={600}>{cardLabel(card)} {card.is_default && <Badge size="xs">{t("cards.default")}</Badge>}</Text>
              <Text size="xs" c={card.expired ? "red" : "dimmed"}>{card.expired ? t("cards.expired") : t("cards.expires", { expiry: card.expiry })}</Text>
            </div>
            <Group gap={4} wrap="nowrap">
              {!card.is_default && <Button size="xs" variant="light" onClick={() => setDefault.mutate(card.card_id)}>{t("cards.setDefault")}</Button>}
              <Button size="xs" variant="subtle" color="red" onClick={() => window.confirm(t("cards.confirmDelete")) && remove.mutate(card.card_id)}>{t("cards.delete")}</Button>
            </Group>
          </Group>
        </Card>
      ))}
      <Group><Button variant="light" onClick={() => setAdding(true)} data-testid="card-add">{t("cards.add")}</Button></Group>
      <Modal opened={adding} onClose={() => setAdding(false)} title={t("cards.add")}>
        {adding && <AddCardForm customerId={customerId} config={config.data} holder={holder} onSaved={() => setAdding(false)} />}
      </Modal>
    </Stack>
  );
}
