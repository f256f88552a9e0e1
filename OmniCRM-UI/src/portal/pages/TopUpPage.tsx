import { Alert, Badge, Button, Card, Group, Progress, Radio, SimpleGrid, Stack, Switch, Text } from "@mantine/core";
import { IconCheck } from "@tabler/icons-react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { errorMessage } from "../../api";
import { provisioningApi, type Product, type ProvisionJob } from "../../api/domain";
import { ErrorState, LoadingState } from "../../components/States";
import { formatMoney } from "../../config";
import { isAddon } from "../../lib/assignPlan";
import { portalApi } from "../api";
import { BalanceBars, PageTitle } from "../components";
import { useAuth } from "../../auth/AuthContext";
import { cardLabel, chargeCard } from "../stripe";
import { useCards, useStripeConfig } from "./PaymentMethods";
import { useServiceChoice } from "./UsagePage";

/** One-off and recurring cost of an add-on: the setup fee and first period now; the price monthly when it renews. */
export function addonCosts(product: Pick<Product, "retail_cost" | "retail_setup_cost" | "auto_renew">, autoRenew = false): { oneOff: string; recurring: string | null } {
  const cents = (value: unknown) => Math.round(Number(value ?? 0) * 100);
  const total = cents(product.retail_cost) + cents(product.retail_setup_cost);
  return {
    oneOff: `${Math.floor(total / 100)}.${String(total % 100).padStart(2, "0")}`,
    recurring: product.auto_renew === "true" || autoRenew ? String(product.retail_cost ?? "0") : null,
  };
}

/** A product's features as one line, whether the API gives a list or the seed's quoted text. */
export function featuresText(features: string[] | string): string {
  const items = Array.isArray(features) ? features : String(features).replace(/[[\]']/g, "").split(",");
  return items.map((item) => item.trim()).filter(Boolean).join(" · ");
}

/** Stripe's reason when a job failed because the card was declined: the play's charge task got 402 from
 * POST /crm/stripe/charge_card ({"message": "The card was declined: ..."}); null for any other failure. */
export function declineReason(job: Pick<ProvisionJob, "provisioning_result_json"> | undefined): string | null {
  for (const event of job?.provisioning_result_json ?? []) {
    if (event.provisioning_status !== 2 || !event.provisioning_result_json) continue;
    try {
      const result = JSON.parse(event.provisioning_result_json)?.result;
      if (result?.status === 402 && typeof result.json?.message === "string") return result.json.message;
    } catch {
      // not JSON: not a charge answer
    }
  }
  return null;
}

/** Top-up and add-ons (spec 07 §6.7-6.8): the catalogue for this service, a review, then live provisioning that ends
 * on the new balances. Subscribers order through PUT /crm/provision/ (the API checks the product and the service). */
export function TopUpPage() {
  const { t } = useTranslation("portal");
  const { services, chosen, select } = useServiceChoice("topup");
  const [productId, setProductId] = useState<string | null>(null);
  const [jobId, setJobId] = useState<number | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [autoRenew, setAutoRenew] = useState(false);
  const queryClient = useQueryClient();
  const { user } = useAuth();
  const stripeConfig = useStripeConfig();
  const cards = useCards(user?.customer_id ?? 0, Boolean(stripeConfig.data?.configured));
  const card = chargeCard(cards.data ?? []);
  const offer = useQuery({ queryKey: ["portal", "addons", chosen], queryFn: () => portalApi.addons(chosen as number), enabled: Boolean(chosen) });
  const job = useQuery({
    queryKey: ["provision", jobId], queryFn: () => provisioningApi.get(jobId as number), enabled: jobId !== null,
    refetchInterval: (q) => (q.state.data && q.state.data.provisioning_status !== 1 ? false : 1500),
  });
  const status = job.data ? (job.data.provisioning_status === 1 ? "running" : job.data.provisioning_status === 0 ? "success" : "failed") : "running";
  const usage = useQuery({ queryKey: ["usage", chosen], queryFn: () => portalApi.usage(chosen as number), enabled: Boolean(chosen) && status === "success", retry: false });
  useEffect(() => {
    if (status !== "running" && jobId !== null) {
      for (const key of ["usage", "service", "portal"]) void queryClient.invalidateQueries({ queryKey: [key] });
    }
  }, [status, jobId, queryClient]);
  const order = useMutation({
    mutationFn: () => portalApi.order(chosen as number, Number(productId), offersChoice ? autoRenew : undefined),
    onSuccess: (created) => setJobId(created.provision_id),
    onError: (error) => setFailure(errorMessage(error)),
  });
  useEffect(() => { setProductId(null); setJobId(null); setFailure(null); }, [chosen]);
  useEffect(() => { setAutoRenew(false); }, [productId]);
  if (services.isError) return <ErrorState error={services.error} onRetry={() => services.refetch()} />;
  if (services.isPending) return <LoadingState />;
  const addons = (offer.data ?? []).filter((p) => isAddon(p) && p.customer_can_purchase !== false);
  const product = addons.find((p) => String(p.product_id) === productId);
  const offersChoice = Boolean(product && product.auto_renew === "prompt" && product.allow_auto_renew);
  const costs = product ? addonCosts(product, offersChoice && autoRenew) : null;

  if (jobId !== null) {
    const tasks = job.data?.provisioning_result_json?.length ?? 0;
    const total = job.data?.task_count ?? 0;
    return (
      <Stack data-testid="portal-provisioning" data-status={status}>
        <PageTitle>{t("topup.title")}</PageTitle>
        <Card withBorder>
          <Group justify="space-between" mb="xs">
            <Text fw={700}>{product?.product_name}</Text>
            <Badge color={status === "success" ? "green" : status === "failed" ? "red" : "blue"}>{status === "running" ? t("topup.provisioning") : status === "success" ? t("topup.done") : t("topup.failed")}</Badge>
          </Group>
          <Progress value={status === "success" ? 100 : total ? (100 * tasks) / total : 10} animated={status === "running"} color={status === "failed" ? "red" : status === "success" ? "green" : "blue"} />
          {status === "running" && <Text size="sm" mt="xs">{t("topup.provisioning")}</Text>}
          {status === "failed" && (
            <>
              <Alert color="red" mt="sm" role="alert" title={declineReason(job.data) ?? undefined} data-testid="portal-provisioning-failure">{t("topup.failed")}</Alert>
              <Group mt="sm"><Button variant="light" onClick={() => setJobId(null)} data-testid="portal-topup-back">{t("common.back")}</Button></Group>
            </>
          )}
        </Card>
        {status === "success" && (
          <Stack data-testid="portal-topup-done">
            <Alert color="green" icon={<IconCheck />}>{t("topup.done")}</Alert>
            <Text fw={700}>{t("topup.newBalance")}</Text>
            {usage.data ? <BalanceBars totals={usage.data.totals} /> : <LoadingState />}
            <Group><Button variant="light" onClick={() => { setJobId(null); setProductId(null); }}>{t("topup.another")}</Button></Group>
          </Stack>
        )}
      </Stack>
    );
  }

  return (
    <Stack data-testid="portal-topup">
      <PageTitle>{t("topup.title")}</PageTitle>
      {select}
      {offer.isError ? <ErrorState error={offer.error} onRetry={() => offer.refetch()} /> : offer.isPending ? <LoadingState /> : (
        <>
          <Text fw={700}>{t("topup.choose")}</Text>
          {!addons.length && <Text c="dimmed">{t("topup.none")}</Text>}
          <Radio.Group value={productId} onChange={setProductId}>
            <SimpleGrid cols={{ base: 1, sm: 2 }}>
              {addons.map((addon) => (
                <Card key={addon.product_id} withBorder padding="sm" data-testid={`portal-addon-${addon.product_slug}`}
                  style={{ cursor: "pointer", borderColor: String(addon.product_id) === productId ? "var(--mantine-primary-color-filled)" : undefined }}
                  onClick={() => setProductId(String(addon.product_id))}>
                  <Group justify="space-between" wrap="nowrap">
                    <Radio value={String(addon.product_id)} label={<Text fw={700}>{addon.product_name}</Text>} />
                    <Text fw={700}>{formatMoney(addon.retail_cost)}</Text>
                  </Group>
                  {addon.features_list && <Text size="xs" c="dimmed" mt={4}>{featuresText(addon.features_list)}</Text>}
                </Card>
              ))}
            </SimpleGrid>
          </Radio.Group>
          {product && costs && (
            <Card withBorder data-testid="portal-addon-review">
              <Text fw={700} mb="xs">{t("topup.review")}</Text>
              <Group justify="space-between"><Text size="sm">{product.product_name}</Text><Text size="sm">{formatMoney(product.retail_cost)}</Text></Group>
              <Group justify="space-between"><Text size="sm" c="dimmed">{t("topup.oneOff")}</Text><Text size="sm" fw={700} data-testid="review-one-off">{formatMoney(costs.oneOff)}</Text></Group>
              <Group justify="space-between"><Text size="sm" c="dimmed">{t("topup.recurring")}</Text><Text size="sm" data-testid="review-recurring">{costs.recurring ? t("topup.perMonth", { amount: formatMoney(costs.recurring) }) : t("topup.noRecurring")}</Text></Group>
              {offersChoice && (
                <Switch mt="xs" label={t("services.autoRenew")} checked={autoRenew} onChange={(e) => setAutoRenew(e.currentTarget.checked)} data-testid="review-auto-renew" />
              )}
              {Number(product.contract_days) > 0 && <Text size="xs" c="dimmed" mt={4}>{t("topup.validity", { count: Number(product.contract_days) })}</Text>}
              {stripeConfig.data?.configured && (
                <Text size="sm" mt="xs" data-testid="review-card">{card ? t("cards.chargedTo", { card: cardLabel(card) }) : t("cards.needCard")}</Text>
              )}
              {failure && <Alert color="red" mt="sm" role="alert">{failure}</Alert>}
              <Button fullWidth mt="md" onClick={() => { setFailure(null); order.mutate(); }} loading={order.isPending} data-testid="portal-addon-confirm">{t("topup.confirm")}</Button>
            </Card>
          )}
        </>
      )}
    </Stack>
  );
}
