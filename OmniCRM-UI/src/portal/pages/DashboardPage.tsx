import { Alert, Button, Card, Group, SimpleGrid, Stack, Text, Title } from "@mantine/core";
import { useQueries, useQuery } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import { useAuth } from "../../auth/AuthContext";
import { ErrorState, LoadingState } from "../../components/States";
import { formatMoney } from "../../config";
import { portalApi } from "../api";
import { AlertList, BalanceBars, ServiceStatusBadge } from "../components";
import { PORTAL_ROOT, unpaidSummary } from "../logic";
import { cardLabel, expiringCards } from "../stripe";
import { useCards, useStripeConfig } from "./PaymentMethods";

export function usePortalCustomer() {
  const { user } = useAuth();
  return user?.customer_id ?? 0;
}

/** Dashboard (spec 07 §6.2): services with their balances, unpaid invoices and alerts at a glance. */
export function DashboardPage() {
  const { t } = useTranslation("portal");
  const { user } = useAuth();
  const customerId = usePortalCustomer();
  const services = useQuery({ queryKey: ["portal", "services"], queryFn: portalApi.services });
  const alerts = useQuery({ queryKey: ["portal", "alerts"], queryFn: portalApi.alerts });
  const invoices = useQuery({ queryKey: ["portal", "invoices", customerId], queryFn: () => portalApi.invoices(customerId), enabled: customerId > 0 });
  const stripeConfig = useStripeConfig();
  const cards = useCards(customerId, Boolean(stripeConfig.data?.configured));
  const usage = useQueries({
    queries: (services.data ?? []).slice(0, 4).map((service) => ({
      queryKey: ["usage", service.service_id], queryFn: () => portalApi.usage(service.service_id), retry: false,
    })),
  });
  if (services.isError) return <ErrorState error={services.error} onRetry={() => services.refetch()} />;
  if (services.isPending) return <LoadingState />;
  const unpaid = unpaidSummary(invoices.data ?? []);
  return (
    <Stack data-testid="portal-dashboard">
      <Title order={2} size="h3">{t("dashboard.title", { name: user?.first_name || user?.email })}</Title>
      <Card withBorder>
        <Text fw={700} mb="xs">{t("dashboard.alerts")}</Text>
        {expiringCards(cards.data ?? []).map((card) => (
          <Alert key={card.card_id} color={card.expired ? "red" : "yellow"} p="xs" mb="xs" data-testid="portal-alert-card">
            <Text size="sm" component={Link} to={`${PORTAL_ROOT}/billing`} c="inherit" td="none">{t("cards.expiringAlert", { card: cardLabel(card), expiry: card.expiry })}</Text>
          </Alert>
        ))}
        {alerts.isPending ? <LoadingState /> : <AlertList alerts={alerts.data?.alerts ?? []} />}
      </Card>
      <SimpleGrid cols={{ base: 1, md: 2 }}>
        <Card withBorder data-testid="portal-unpaid">
          <Text fw={700} mb={4}>{t("dashboard.unpaid")}</Text>
          <Group justify="space-between">
            <Text size="sm">{unpaid.count ? t("dashboard.unpaidSummary", { count: unpaid.count, total: formatMoney(unpaid.total) }) : t("dashboard.allPaid")}</Text>
            <Button size="xs" variant="light" component={Link} to={`${PORTAL_ROOT}/billing`}>{t("common.viewAll")}</Button>
          </Group>
        </Card>
      </SimpleGrid>
      <Text fw={700}>{t("dashboard.services")}</Text>
      {!services.data.length && <Text c="dimmed">{t("dashboard.noServices")}</Text>}
      {services.data.slice(0, 4).map((service, index) => (
        <Card key={service.service_id} withBorder data-testid={`portal-dashboard-service-${service.service_id}`}>
          <Group justify="space-between" mb="xs" wrap="nowrap">
            <Text fw={700} truncate component={Link} to={`${PORTAL_ROOT}/usage/${service.service_id}`} c="inherit" td="none">{service.service_name}</Text>
            <ServiceStatusBadge service={service} />
          </Group>
          {usage[index]?.data ? <BalanceBars totals={usage[index].data?.totals} />
            : usage[index]?.isPending ? <LoadingState /> : <Text size="sm" c="dimmed">{t("usage.hidden")}</Text>}
          <Group mt="sm" gap="xs">
            <Button size="xs" variant="light" component={Link} to={`${PORTAL_ROOT}/usage/${service.service_id}`}>{t("services.viewUsage")}</Button>
            <Button size="xs" component={Link} to={`${PORTAL_ROOT}/topup/${service.service_id}`} data-testid="dashboard-topup">{t("services.topup")}</Button>
          </Group>
        </Card>
      ))}
    </Stack>
  );
}
