import {
  ActionIcon, Alert, Anchor, Badge, Button, Group, Modal, Radio, SegmentedControl, SimpleGrid, Stack, Table, Text, TextInput,
} from "@mantine/core";
import { IconCircleMinus, IconCirclePlus, IconDownload, IconMail, IconCash, IconReceiptRefund, IconTrash } from "@tabler/icons-react";
import { useMutation, useQuery } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { ApiError, errorMessage } from "../../api";
import { downloadInvoicePdf, invoicesApi, STAFF_PAYMENT_METHODS, type Invoice, type InvoiceDetail } from "../../api/billing";
import { CustomerPicker } from "./CustomerPicker";
import { useAuth } from "../../auth/AuthContext";
import { formatMoney } from "../../config";
import { confirmDanger, notifyError, notifyErrorTitled, notifySuccess } from "../../lib/feedback";
import { isoDay, selectionTotals, taxLabel } from "../../lib/money";
import { ErrorState, LoadingState } from "../States";
import { BILLING_KEY, formatDate, InvoiceStatus, invoiceTitle, useRefreshBilling } from "./shared";
import { cardLabel, payInvoiceByCard, preselectedCard, stripeApi } from "../../api/stripe";
import { loadStripe } from "../../lib/stripeJs";
import { useCards, useStripeConfig } from "./PaymentMethods";
import { Link } from "react-router";

/** Field errors of an API answer, keyed by field (shown under each input). */
function fieldErrors(error: unknown): Record<string, string> {
  return error instanceof ApiError ? error.errors : {};
}

// ------------------------------------------------------------------------------------------ Generate (spec 07 §2.9)

export function GenerateInvoiceModal({ opened, onClose, customer }: {
  opened: boolean;
  onClose: () => void;
  /** Fixed in the customer view; chosen with "Search Clients" in the system-wide view. */
  customer?: { customer_id: number; customer_name: string };
}) {
  const { t } = useTranslation();
  const refresh = useRefreshBilling();
  const [customerId, setCustomerId] = useState<string | null>(customer ? String(customer.customer_id) : null);
  const [title, setTitle] = useState("");
  const [start, setStart] = useState(isoDay(-14));
  const [end, setEnd] = useState(isoDay(0));
  const [due, setDue] = useState(isoDay(0));
  const [excluded, setExcluded] = useState<Set<number>>(new Set());
  const [errors, setErrors] = useState<Record<string, string>>({});

  useEffect(() => {
    if (!opened) return;
    setCustomerId(customer ? String(customer.customer_id) : null);
    setTitle(""); setStart(isoDay(-14)); setEnd(isoDay(0)); setDue(isoDay(0)); setExcluded(new Set()); setErrors({});
  }, [opened, customer]);

  const badRange = Boolean(start && end && start > end);
  const id = customerId ? Number(customerId) : null;
  const preview = useQuery({
    queryKey: [BILLING_KEY, "preview", id, start, end],
    queryFn: () => invoicesApi.preview({ customer_id: id!, start_date: start, end_date: end }),
    enabled: opened && id !== null && Boolean(start && end) && !badRange,
    retry: false,
  });
  // A new range or customer starts with every transaction included.
  useEffect(() => setExcluded(new Set()), [id, start, end]);

  const lines = preview.data?.transactions ?? [];
  const totals = selectionTotals(lines, excluded);
  const toggle = (txId: number) => setExcluded((current) => {
    const next = new Set(current);
    if (next.has(txId)) next.delete(txId); else next.add(txId);
    return next;
  });

  const generate = useMutation({
    mutationFn: () => invoicesApi.generate({
      customer_id: id!, title: title.trim() || undefined, start_date: start, end_date: end, due_date: due,
      transaction_ids: lines.filter((l) => !excluded.has(l.transaction_id)).map((l) => l.transaction_id),
    }),
    onSuccess: (invoice) => {
      notifySuccess(t("invoices.generated", { id: invoice.invoice_id, amount: formatMoney(invoice.retail_cost) }));
      void refresh();
      onClose();
    },
    onError: (error) => { setErrors(fieldErrors(error)); notifyError(error); },
  });

  const disabled = totals.count === 0 || badRange || !due || id === null;
  const previewError = preview.error instanceof ApiError ? preview.error : null;
  return (
    <Modal opened={opened} onClose={onClose} title={t("invoices.generateTitle")} size="xl" data-testid="generate-modal">
      <Stack>
        {customer ? (
          <TextInput label={t("invoices.customer")} value={customer.customer_name} disabled />
        ) : (
          <CustomerPicker label={t("invoices.searchClients")} value={customerId} onChange={setCustomerId}
            error={errors.customer_id} testId="generate-customer" />
        )}
        <TextInput label={t("invoices.titleField")} description={t("invoices.titleHelp")} value={title}
          onChange={(e) => setTitle(e.currentTarget.value)} error={errors.title} maxLength={255} />
        <SimpleGrid cols={{ base: 1, sm: 3 }}>
          <TextInput type="date" label={t("invoices.startDate")} value={start} onChange={(e) => setStart(e.currentTarget.value)}
            error={errors.start_date} required data-testid="generate-start" />
          <TextInput type="date" label={t("invoices.endDate")} value={end} onChange={(e) => setEnd(e.currentTarget.value)}
            error={badRange ? t("invoices.badRange") : errors.end_date} required data-testid="generate-end" />
          <TextInput type="date" label={t("invoices.dueDate")} value={due} onChange={(e) => setDue(e.currentTarget.value)}
            error={!due ? t("invoices.dueRequired") : errors.due_date} required data-testid="generate-due" />
        </SimpleGrid>
        <Group justify="space-between" wrap="wrap">
          <Text fw={700}>{t("invoices.preview")}</Text>
          <Group gap="xs">
            <Button size="xs" variant="light" onClick={() => setExcluded(new Set())} disabled={!lines.length}>{t("invoices.selectAll")}</Button>
            <Button size="xs" variant="light" color="gray" onClick={() => setExcluded(new Set(lines.map((l) => l.transaction_id)))}
              disabled={!lines.length}>{t("invoices.clearAll")}</Button>
          </Group>
        </Group>
        {id === null ? <Text c="dimmed" size="sm">{t("invoices.pickCustomer")}</Text>
          : preview.isFetching && !preview.data ? <LoadingState />
            : previewError ? <ErrorState error={previewError} />
              : !lines.length ? <Text c="dimmed" size="sm" data-testid="preview-empty">{t("invoices.previewEmpty")}</Text> : (
                <Table.ScrollContainer minWidth={520}>
                  <Table data-testid="preview-table">
                    <Table.Thead><Table.Tr><Table.Th /><Table.Th>{t("invoices.txDate")}</Table.Th><Table.Th>{t("invoices.txTitle")}</Table.Th>
                      <Table.Th>{t("invoices.retail")}</Table.Th><Table.Th>{t("invoices.tax")}</Table.Th></Table.Tr></Table.Thead>
                    <Table.Tbody>
                      {lines.map((line) => {
                        const out = excluded.has(line.transaction_id);
                        const style = out ? { opacity: 0.45, textDecoration: "line-through" } : undefined;
                        return (
                          <Table.Tr key={line.transaction_id} data-testid={`preview-row-${line.transaction_id}`} data-excluded={out}>
                            <Table.Td>
                              <ActionIcon variant="subtle" color={out ? "red" : "green"} onClick={() => toggle(line.transaction_id)}
                                aria-label={out ? t("invoices.include", { title: line.title }) : t("invoices.exclude", { title: line.title })}>
                                {out ? <IconCircleMinus size={18} /> : <IconCirclePlus size={18} />}
                              </ActionIcon>
                            </Table.Td>
                            <Table.Td style={style}>{formatDate(line.created)}</Table.Td>
                            <Table.Td style={style}><Text size="sm">{line.title}</Text>{line.description && <Text size="xs" c="dimmed">{line.description}</Text>}</Table.Td>
                            <Table.Td style={style}>{formatMoney(line.retail_cost)}</Table.Td>
                            <Table.Td style={style}>{taxLabel(line.tax_amount, line.tax_percentage, formatMoney)}</Table.Td>
                          </Table.Tr>
                        );
                      })}
                    </Table.Tbody>
                  </Table>
                </Table.ScrollContainer>
              )}
        {errors.transaction_ids && <Text c="red" size="sm">{errors.transaction_ids}</Text>}
        <Group justify="space-between" wrap="wrap" data-testid="generate-totals">
          <Badge variant="light" size="lg" data-testid="selected-count">{t("invoices.selected", { count: totals.count })}</Badge>
          <Group gap="lg">
            <Text size="sm">{t("invoices.subtotal")}: <b data-testid="total-subtotal">{formatMoney(totals.subtotal)}</b></Text>
            <Text size="sm">{t("invoices.tax")}: <b data-testid="total-tax">{formatMoney(totals.tax)}</b></Text>
            <Text size="sm">{t("invoices.total")}: <b data-testid="total-total">{formatMoney(totals.total)}</b></Text>
          </Group>
        </Group>
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>{t("common.cancel")}</Button>
          <Button onClick={() => generate.mutate()} disabled={disabled} loading={generate.isPending} data-testid="generate-submit">
            {t("invoices.generateButton", { count: totals.count })}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}

// ------------------------------------------------------------------------------------------------- Actions

/** Download with a spinner while the PDF is rendered the first time (spec 07 §2.11). */
export function useDownload() {
  const { t } = useTranslation();
  const [busy, setBusy] = useState<number | null>(null);
  const download = async (id: number) => {
    setBusy(id);
    try {
      const name = await downloadInvoicePdf(id);
      notifySuccess(t("invoices.downloaded", { name }));
    } catch (error) {
      notifyError(error);
    } finally {
      setBusy(null);
    }
  };
  return { busy, download };
}

/** Which actions an invoice offers to this user (spec 07 §2.8, §2.10): status first, then permissions. */
export function useInvoiceActions() {
  const { allows } = useAuth();
  return (invoice: Invoice) => {
    const open = !invoice.void && !invoice.paid;
    return {
      download: true,
      email: !invoice.void && allows("view_customer_invoice"),
      pay: open && allows("update_customer_invoice"),
      void: open && allows("delete_customer_invoice"),
      // Only a card payment can be refunded, once, by staff (spec 07 §2.15).
      refund: invoice.paid && !invoice.refunded && !invoice.void && invoice.payment_method === "Stripe" && allows("update_customer_invoice"),
    };
  };
}

export function useInvoiceMutations() {
  const { t } = useTranslation();
  const refresh = useRefreshBilling();
  const voidInvoice = useMutation({
    mutationFn: (invoice: Invoice) => invoicesApi.void(invoice.invoice_id),
    onSuccess: (invoice) => { notifySuccess(t("invoices.voidDone", { id: invoice.invoice_id })); void refresh(); },
    onError: notifyError,
  });
  const email = useMutation({
    mutationFn: (invoice: Invoice) => invoicesApi.email(invoice.invoice_id),
    onSuccess: () => notifySuccess(t("invoices.emailSent")),
    onError: notifyError,
  });
  const refund = useMutation({
    mutationFn: (invoice: Invoice) => stripeApi.refund(invoice.invoice_id),
    onSuccess: (invoice) => { notifySuccess(t("invoices.refundDone", { id: invoice.invoice_id })); void refresh(); },
    onError: notifyError,
  });
  const confirmRefund = (invoice: Invoice) => confirmDanger({
    title: t("invoices.refundConfirmTitle", { id: invoice.invoice_id }),
    message: <Text size="sm">{t("invoices.refundConfirm", { amount: formatMoney(invoice.retail_cost) })}</Text>,
    confirmLabel: t("invoices.confirmRefund"),
    onConfirm: () => refund.mutate(invoice),
  });
  const confirmVoid = (invoice: Invoice, after?: () => void) => confirmDanger({
    title: t("invoices.voidTitle", { id: invoice.invoice_id }),
    message: <Text size="sm">{t("invoices.voidMessage")}</Text>,
    confirmLabel: t("invoices.void"),
    onConfirm: () => voidInvoice.mutate(invoice, { onSuccess: () => after?.() }),
  });
  return { voidInvoice, email, confirmVoid, refund, confirmRefund };
}

// ------------------------------------------------------------------------------------------- Details (§2.10)

export function InvoiceDetailsModal({ invoiceId, onClose, onPay }: {
  invoiceId: number | null;
  onClose: () => void;
  onPay: (invoice: Invoice) => void;
}) {
  const { t } = useTranslation();
  const detail = useQuery({ queryKey: [BILLING_KEY, "invoice", invoiceId], queryFn: () => invoicesApi.get(invoiceId!), enabled: invoiceId !== null });
  const actionsOf = useInvoiceActions();
  const { busy, download } = useDownload();
  const { email, confirmVoid, confirmRefund, refund } = useInvoiceMutations();
  const d = detail.data;
  const actions = d ? actionsOf(d) : null;
  return (
    <Modal opened={invoiceId !== null} onClose={onClose} size="xl" title={t("invoices.details", { id: invoiceId ?? "" })} data-testid="invoice-details">
      {detail.isError ? <ErrorState error={detail.error} onRetry={() => detail.refetch()} /> : !d ? <LoadingState /> : (
        <Stack>
          <SimpleGrid cols={{ base: 1, sm: 3 }}>
            <Info label={t("invoices.id")} value={String(d.invoice_id)} />
            <Info label={t("invoices.invoiceTitle")} value={invoiceTitle(d, t("invoices.voidPrefix"))} />
            <div><Text size="xs" c="dimmed">{t("invoices.status")}</Text><InvoiceStatus invoice={d} /></div>
            <Info label={t("invoices.period")} value={d.start_date ? `${formatDate(d.start_date)} – ${formatDate(d.end_date)}` : t("invoices.na")} />
            <Info label={t("invoices.dueDate")} value={formatDate(d.due_date)} />
            <Info label={t("invoices.created")} value={formatDate(d.created)} />
            {d.payment_method && <Info label={t("invoices.paymentMethod")} value={t(`payMethods.${d.payment_method}`, { defaultValue: d.payment_method })} />}
            {d.payment_reference && <Info label={t("invoices.reference")} value={d.payment_reference} />}
            {d.refund_reference && <Info label={t("invoices.refundReference")} value={d.refund_reference} />}
          </SimpleGrid>
          <Table.ScrollContainer minWidth={480}>
            <Table striped data-testid="invoice-lines">
              <Table.Thead><Table.Tr><Table.Th>{t("invoices.txDate")}</Table.Th><Table.Th>{t("invoices.txTitle")}</Table.Th>
                <Table.Th>{t("invoices.retail")}</Table.Th><Table.Th>{t("invoices.tax")}</Table.Th></Table.Tr></Table.Thead>
              <Table.Tbody>
                {d.transactions.map((line) => (
                  <Table.Tr key={line.transaction_id}>
                    <Table.Td>{formatDate(line.created)}</Table.Td>
                    <Table.Td><Text size="sm">{line.title}</Text>{line.description && <Text size="xs" c="dimmed">{line.description}</Text>}</Table.Td>
                    <Table.Td>{formatMoney(line.retail_cost)}</Table.Td>
                    <Table.Td>{taxLabel(line.tax_amount, line.tax_percentage, formatMoney)}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
          <Group justify="flex-end" gap="lg" data-testid="invoice-totals">
            <Text size="sm">{t("invoices.count")}: <b>{d.count}</b></Text>
            <Text size="sm">{t("invoices.subtotal")}: <b>{formatMoney(d.subtotal)}</b></Text>
            <Text size="sm">{t("invoices.tax")}: <b>{formatMoney(d.tax)}</b></Text>
            <Text size="sm">{t("invoices.total")}: <b data-testid="invoice-total">{formatMoney(d.total)}</b></Text>
          </Group>
          {actions && (
            <Group justify="flex-end" wrap="wrap" data-testid="invoice-footer">
              <Button variant="light" leftSection={<IconDownload size={16} />} loading={busy === d.invoice_id} onClick={() => download(d.invoice_id)}>
                {t("invoices.download")}
              </Button>
              {actions.email && <Button variant="light" leftSection={<IconMail size={16} />} loading={email.isPending} onClick={() => email.mutate(d)}>{t("invoices.sendEmail")}</Button>}
              {actions.pay && <Button leftSection={<IconCash size={16} />} onClick={() => onPay(d)} data-testid="details-pay">{t("invoices.pay")}</Button>}
              {actions.refund && (
                <Button color="grape" variant="light" leftSection={<IconReceiptRefund size={16} />} loading={refund.isPending}
                  onClick={() => confirmRefund(d)} data-testid="details-refund">{t("invoices.refund")}</Button>
              )}
              {actions.void && <Button color="red" variant="light" leftSection={<IconTrash size={16} />} onClick={() => confirmVoid(d, onClose)}>{t("invoices.void")}</Button>}
            </Group>
          )}
        </Stack>
      )}
    </Modal>
  );
}

function Info({ label, value }: { label: string; value?: string | null }) {
  return <div><Text size="xs" c="dimmed">{label}</Text><Text size="sm">{value || "—"}</Text></div>;
}

// ------------------------------------------------------------------------------------------------ Pay (§2.12)

export function PayInvoiceModal({ invoice, onClose }: { invoice: Invoice | InvoiceDetail | null; onClose: () => void }) {
  const { t } = useTranslation();
  const { allows } = useAuth();
  const refresh = useRefreshBilling();
  const cardsAllowed = allows("view_customer_stripe_card");
  const stripeConfig = useStripeConfig(invoice !== null && cardsAllowed);
  const stripeOn = Boolean(cardsAllowed && stripeConfig.data?.configured);
  const cards = useCards(invoice?.customer_id, invoice !== null && stripeOn);
  const cardList = cards.data?.data ?? [];
  const methods = [...(stripeOn ? ["Stripe"] : []), ...STAFF_PAYMENT_METHODS];
  const [method, setMethod] = useState<string>("Cash");
  const [cardId, setCardId] = useState<string | null>(null);
  const [reference, setReference] = useState("");
  const [date, setDate] = useState("");
  const [errors, setErrors] = useState<Record<string, string>>({});
  useEffect(() => {
    if (invoice) { setReference(""); setDate(""); setErrors({}); }
  }, [invoice?.invoice_id]);
  // The default card is preselected; without Stripe or without cards the pay modal starts on Cash.
  useEffect(() => {
    const card = preselectedCard(cardList);
    setCardId(card ? String(card.card_id) : null);
    setMethod(stripeOn && card ? "Stripe" : "Cash");
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [invoice?.invoice_id, stripeOn, cards.data]);
  const card = method === "Stripe";
  const pay = useMutation({
    mutationFn: async () => {
      if (!card) {
        return invoicesApi.pay(invoice!.invoice_id, {
          payment_method: method, payment_reference: reference.trim() || undefined, payment_date: date || undefined,
        });
      }
      return payInvoiceByCard(invoice!.invoice_id, cardId ? Number(cardId) : undefined, async (secret) => {
        const config = stripeConfig.data!;
        const stripe = await loadStripe(config.js_url ?? "https://js.stripe.com/v3/", config.publishable_key ?? "");
        return stripe.confirmCardPayment(secret);
      });
    },
    onSuccess: () => {
      notifySuccess(t("invoices.paid_done", { id: invoice!.invoice_id }));
      void refresh();
      onClose();
    },
    onError: (error) => {
      setErrors(fieldErrors(error));
      notifyErrorTitled(error, error instanceof ApiError && error.status === 402 ? t("cards.payDeclined") : undefined);
    },
  });
  return (
    <Modal opened={invoice !== null} onClose={onClose} title={t("invoices.payTitle", { id: invoice?.invoice_id ?? "" })} data-testid="pay-modal">
      {invoice && (
        <Stack>
          <Group justify="space-between"><Text size="sm">{invoice.title}</Text>
            <Text fw={700}>{t("invoices.amountDue")}: <span data-testid="pay-amount">{formatMoney(invoice.retail_cost)}</span></Text></Group>
          <div>
            <Text size="sm" fw={500} mb={4}>{t("invoices.method")}</Text>
            <SegmentedControl fullWidth orientation="vertical" value={method} onChange={setMethod} data-testid="pay-method"
              data={methods.map((m) => ({ value: m, label: t(`payMethods.${m}`, { defaultValue: m }) }))} />
            {errors.payment_method && <Text c="red" size="xs">{errors.payment_method}</Text>}
          </div>
          {card ? (
            cards.isPending ? <LoadingState /> : !cardList.length ? (
              <Alert color="orange" data-testid="no-cards">
                {t("invoices.noCards")}{" "}
                <Anchor component={Link} to={`/customers/${invoice.customer_id}#9`} onClick={onClose}>{t("cards.add")}</Anchor>
              </Alert>
            ) : (
              <Radio.Group label={t("cards.pickCard")} value={cardId} onChange={setCardId} error={errors.card_id}>
                <Stack gap={6} mt={4}>
                  {cardList.map((c) => (
                    <Radio key={c.card_id} value={String(c.card_id)} data-testid={`pay-card-${c.card_id}`}
                      label={`${cardLabel(c)} · ${c.expiry}${c.nickname ? ` · ${c.nickname}` : ""}${c.is_default ? ` (${t("cards.default")})` : ""}`} />
                  ))}
                </Stack>
              </Radio.Group>
            )
          ) : (
            <>
              <TextInput label={t("invoices.paymentReference")} value={reference} onChange={(e) => setReference(e.currentTarget.value)}
                error={errors.payment_reference} maxLength={255} data-testid="pay-reference" />
              <TextInput type="date" label={t("invoices.paymentDate")} description={t("invoices.paymentDateHelp")} value={date}
                onChange={(e) => setDate(e.currentTarget.value)} error={errors.payment_date} max={isoDay(0)} />
            </>
          )}
          {pay.isError && !Object.keys(fieldErrors(pay.error)).length && <Alert color="red" data-testid="pay-error">{errorMessage(pay.error)}</Alert>}
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>{t("common.cancel")}</Button>
            <Button onClick={() => pay.mutate()} loading={pay.isPending} disabled={card && !cardList.length} data-testid="pay-submit">{t("invoices.pay")}</Button>
          </Group>
        </Stack>
      )}
    </Modal>
  );
}
