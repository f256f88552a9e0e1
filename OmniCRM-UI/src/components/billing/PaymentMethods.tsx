import { ActionIcon, Alert, Badge, Button, Card as MCard, Group, Menu, Modal, Stack, Table, Text, TextInput, Title, Tooltip } from "@mantine/core";
import { modals } from "@mantine/modals";
import { IconCheck, IconCreditCard, IconDots, IconPlus, IconStar, IconTrash } from "@tabler/icons-react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { ApiError, errorMessage } from "../../api";
import { canDeleteCard, cardLabel, deleteCard, stripeApi, type Card } from "../../api/stripe";
import { useAuth } from "../../auth/AuthContext";
import { config } from "../../config";
import { notifyError, notifyErrorTitled, notifySuccess } from "../../lib/feedback";
import { loadStripe, paymentMethodId, type StripeCardElement } from "../../lib/stripeJs";
import { ErrorState, LoadingState } from "../States";
import { formatDate } from "./shared";

export const CARDS_KEY = "stripe-cards";

export function useStripeConfig(enabled = true) {
  return useQuery({ queryKey: ["stripe-config"], queryFn: stripeApi.config, staleTime: Infinity, enabled, retry: false });
}

export function useCards(customerId: number | undefined, enabled = true) {
  const { allows } = useAuth();
  return useQuery({
    queryKey: [CARDS_KEY, customerId],
    queryFn: () => stripeApi.cards(customerId!),
    enabled: enabled && customerId !== undefined && allows("view_customer_stripe_card"),
  });
}

/** Clients → [client] → Billing → Payment Methods (spec 07 §1.4-1.7). */
export function PaymentMethodsCard({ customer }: { customer: { customer_id: number; customer_name: string } }) {
  const { t } = useTranslation();
  const { allows } = useAuth();
  const queryClient = useQueryClient();
  const stripeConfig = useStripeConfig(allows("view_customer_stripe_card"));
  const cards = useCards(customer.customer_id, Boolean(stripeConfig.data?.configured));
  const [adding, setAdding] = useState(false);
  const refresh = () => queryClient.invalidateQueries({ queryKey: [CARDS_KEY, customer.customer_id] });
  const setDefault = useMutation({
    mutationFn: (card: Card) => stripeApi.setDefault(card.card_id),
    onSuccess: (answer) => { notifySuccess(answer.message); void refresh(); },
    onError: notifyError,
  });
  const remove = useMutation({
    mutationFn: (card: Card) => deleteCard(card.card_id, (message) => new Promise((resolve) => modals.openConfirmModal({
      title: t("cards.deleteTitle"), children: <Text size="sm">{message}</Text>,
      labels: { confirm: t("cards.deleteConfirm"), cancel: t("common.cancel") }, confirmProps: { color: "red" },
      onConfirm: () => resolve(true), onCancel: () => resolve(false), onClose: () => resolve(false),
    }))),
    onSuccess: (answer) => { if (answer) { notifySuccess(answer.message); void refresh(); } },
    onError: notifyError,
  });
  // No card API (or no Stripe) on this server: nothing to show but the note below.
  if (!allows("view_customer_stripe_card") || stripeConfig.isError) return null;
  const list = cards.data?.data ?? [];
  const confirmDelete = (card: Card) => modals.openConfirmModal({
    title: t("cards.deleteTitle"),
    children: (
      <Stack gap="xs">
        <Text size="sm">{t("cards.deleteQuestion")}</Text>
        <Text size="sm" fw={600}>{t("cards.deleteCard", { card: cardLabel(card), expiry: card.expiry })}</Text>
        <Alert color="orange" p="xs"><Text size="xs">{t("cards.deleteWarning")}</Text></Alert>
      </Stack>
    ),
    labels: { confirm: t("cards.deleteConfirm"), cancel: t("common.cancel") },
    confirmProps: { color: "red", "data-testid": "confirm-delete-card" } as never,
    onConfirm: () => remove.mutate(card),
  });
  return (
    <Stack gap="xs" data-testid="payment-methods">
      <Title order={3}>{t("cards.title")}</Title>
      <MCard withBorder>
        <Stack>
          <Group justify="flex-end">
            {allows("create_customer_stripe_card") && stripeConfig.data?.configured && (
              <Button leftSection={<IconPlus size={16} />} onClick={() => setAdding(true)} data-testid="add-card">{t("cards.add")}</Button>
            )}
          </Group>
          {stripeConfig.data && !stripeConfig.data.configured && <Text c="dimmed" size="sm">{t("cards.notConfigured")}</Text>}
          {!stripeConfig.data?.configured ? null : cards.isError ? <ErrorState error={cards.error} onRetry={() => cards.refetch()} /> : cards.isPending ? <LoadingState /> :
            !list.length ? <Text c="dimmed">{t("cards.empty")}</Text> : (
              <Table.ScrollContainer minWidth={520}>
                <Table striped data-testid="cards-table">
                  <Table.Thead><Table.Tr><Table.Th>{t("cards.nickname")}</Table.Th><Table.Th>{t("cards.issuer")}</Table.Th>
                    <Table.Th>{t("cards.expiry")}</Table.Th><Table.Th>{t("cards.added")}</Table.Th><Table.Th>{t("cards.default")}</Table.Th><Table.Th /></Table.Tr></Table.Thead>
                  <Table.Tbody>
                    {list.map((card) => (
                      <Table.Tr key={card.card_id} data-testid={`card-row-${card.card_id}`}>
                        <Table.Td>{card.nickname || "—"}</Table.Td>
                        <Table.Td><Group gap={4} wrap="nowrap"><IconCreditCard size={16} />{cardLabel(card)}</Group></Table.Td>
                        <Table.Td>{card.expired ? <Badge color="red" variant="light">{card.expiry} · {t("cards.expired")}</Badge> : card.expiry}</Table.Td>
                        <Table.Td>{formatDate(card.created)}</Table.Td>
                        <Table.Td>{card.is_default && <Badge color="green" leftSection={<IconCheck size={12} />} data-testid="default-card">{t("cards.default")}</Badge>}</Table.Td>
                        <Table.Td>
                          {(allows("update_customer_stripe_card") || allows("delete_customer_stripe_card")) && (
                            <Menu position="bottom-end">
                              <Menu.Target><ActionIcon variant="subtle" aria-label={t("cards.menu", { card: cardLabel(card) })}><IconDots size={18} /></ActionIcon></Menu.Target>
                              <Menu.Dropdown>
                                {allows("update_customer_stripe_card") && (
                                  <Menu.Item leftSection={<IconStar size={16} />} disabled={card.is_default} onClick={() => setDefault.mutate(card)}>{t("cards.setDefault")}</Menu.Item>
                                )}
                                {allows("delete_customer_stripe_card") && (
                                  <Tooltip label={t("cards.defaultLocked")} disabled={canDeleteCard(card, list)}>
                                    <div>
                                      <Menu.Item color="red" leftSection={<IconTrash size={16} />} disabled={!canDeleteCard(card, list)}
                                        onClick={() => confirmDelete(card)}>{t("cards.delete")}</Menu.Item>
                                    </div>
                                  </Tooltip>
                                )}
                              </Menu.Dropdown>
                            </Menu>
                          )}
                        </Table.Td>
                      </Table.Tr>
                    ))}
                  </Table.Tbody>
                </Table>
              </Table.ScrollContainer>
            )}
        </Stack>
      </MCard>
      <AddCardModal opened={adding} onClose={() => setAdding(false)} customerId={customer.customer_id} onAdded={refresh} />
    </Stack>
  );
}

/** Stripe Elements: card number, expiry and CVC are typed into Stripe's own field (spec 07 §1.5). */
export function AddCardModal({ opened, onClose, customerId, onAdded }: { opened: boolean; onClose: () => void; customerId: number; onAdded: () => void }) {
  const { t } = useTranslation();
  // A callback ref: the modal's body mounts after its opening transition, so the Element waits for the node.
  const [holder, setHolder] = useState<HTMLDivElement | null>(null);
  const element = useRef<StripeCardElement | null>(null);
  const stripeRef = useRef<Awaited<ReturnType<typeof loadStripe>> | null>(null);
  const stripeConfig = useStripeConfig(opened);
  const [name, setName] = useState("");
  const [country, setCountry] = useState(config.defaultCountry || "");
  const [nickname, setNickname] = useState("");
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [cardError, setCardError] = useState("");
  const [ready, setReady] = useState(false);

  useEffect(() => {
    if (opened) { setName(""); setNickname(""); setErrors({}); setCardError(""); }
  }, [opened]);
  useEffect(() => {
    if (!opened || !holder || !stripeConfig.data?.configured) return;
    let cancelled = false;
    setReady(false);
    const { js_url: jsUrl, publishable_key: key } = stripeConfig.data;
    loadStripe(jsUrl ?? "https://js.stripe.com/v3/", key ?? "").then((stripe) => {
      if (cancelled) return;
      stripeRef.current = stripe;
      const card = stripe.elements().create("card", { hidePostalCode: true });
      card.mount(holder);
      // localstripe's fake Element calls its change handlers without an event.
      card.on?.("change", (e) => setCardError(e?.error?.message ?? ""));
      element.current = card;
      setReady(true);
    }).catch((error) => setCardError(errorMessage(error)));
    return () => { cancelled = true; element.current?.destroy?.(); element.current = null; };
  }, [opened, holder, stripeConfig.data]);

  const add = useMutation({
    mutationFn: async () => {
      const stripe = stripeRef.current;
      if (!stripe || !element.current) throw new Error(t("cards.stripeFailed"));
      const intent = await stripeApi.setupIntent(customerId);
      const result = await stripe.confirmCardSetup(intent.client_secret, {
        payment_method: { card: element.current, billing_details: { name: name.trim(), address: { country: country.trim().toUpperCase() } } },
      });
      if (result.error) throw new Error(result.error.message || t("cards.stripeFailed"));
      const pm = paymentMethodId(result.setupIntent);
      if (!pm) throw new Error(t("cards.stripeFailed"));
      return stripeApi.addCard(customerId, { payment_method_id: pm, nickname: nickname.trim() || undefined, setup_intent_id: intent.setup_intent_id });
    },
    onSuccess: (answer) => { notifySuccess(answer.message); onAdded(); onClose(); },
    onError: (error) => {
      if (error instanceof ApiError) setErrors(error.errors);
      else setCardError(errorMessage(error));
      // Stripe.js errors (a decline when the card is set up) and the API's 402 name what failed.
      notifyErrorTitled(error, error instanceof ApiError ? (error.status === 402 ? t("cards.payDeclined") : undefined) : t("cards.stripeFailed"));
    },
  });
  const submit = () => {
    const missing: Record<string, string> = {};
    if (!name.trim()) missing.name = t("common.required");
    if (!country.trim()) missing.country = t("common.required");
    setErrors(missing);
    if (!Object.keys(missing).length) add.mutate();
  };
  return (
    <Modal opened={opened} onClose={onClose} title={t("cards.add")} data-testid="add-card-modal">
      <Stack>
        <div>
          <Text size="sm" fw={500} mb={4}>{t("cards.cardInfo")} <Text span c="red">*</Text></Text>
          <div ref={setHolder} data-testid="card-element"
            style={{ border: "1px solid var(--mantine-color-gray-4)", borderRadius: 4, padding: 10, minHeight: 40 }} />
          {!ready && !cardError && <Text size="xs" c="dimmed">{t("cards.loadingStripe")}</Text>}
          {cardError && <Text size="xs" c="red" role="alert">{cardError}</Text>}
        </div>
        <TextInput label={t("cards.cardholder")} required value={name} onChange={(e) => setName(e.currentTarget.value)} error={errors.name} data-testid="card-name" />
        <TextInput label={t("cards.country")} required value={country} maxLength={2} placeholder="AU"
          onChange={(e) => setCountry(e.currentTarget.value)} error={errors.country} data-testid="card-country" />
        <TextInput label={t("cards.nickname")} description={t("cards.nicknameHelp")} value={nickname} maxLength={100}
          onChange={(e) => setNickname(e.currentTarget.value)} error={errors.nickname} data-testid="card-nickname" />
        {errors.payment_method_id && <Text c="red" size="sm">{errors.payment_method_id}</Text>}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>{t("common.cancel")}</Button>
          <Button onClick={submit} loading={add.isPending} disabled={!ready} data-testid="card-submit">{t("cards.add")}</Button>
        </Group>
      </Stack>
    </Modal>
  );
}
