import { Button, Card, Group, SimpleGrid, Stack, Text } from "@mantine/core";
import { useQueries, useQuery } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import { ErrorState, LoadingState } from "../../components/States";
import { portalApi } from "../api";
import { PageTitle, ServiceFacts, ServiceStatusBadge } from "../components";
import { PORTAL_ROOT } from "../logic";

/** Service cards (spec 07 §6.4): status, activation, expiry, monthly cost, auto-renewal; usage and top-up. */
export function ServicesPage() {
  const { t } = useTranslation("portal");
  const services = useQuery({ queryKey: ["portal", "services"], queryFn: portalApi.services });
  const details = useQueries({
    queries: (services.data ?? []).map((service) => ({ queryKey: ["service", service.service_id], queryFn: () => portalApi.service(service.service_id) })),
  });
  if (services.isError) return <ErrorState error={services.error} onRetry={() => services.refetch()} />;
  if (services.isPending) return <LoadingState />;
  return (
    <Stack>
      <PageTitle>{t("services.title")}</PageTitle>
      {!services.data.length && <Text c="dimmed">{t("dashboard.noServices")}</Text>}
      <SimpleGrid cols={{ base: 1, md: 2 }}>
        {services.data.map((service, index) => {
          const detail = details[index]?.data ?? service;
          return (
            <Card key={service.service_id} withBorder data-testid={`portal-service-${service.service_id}`}>
              <Group justify="space-between" mb={4} wrap="nowrap">
                <Text fw={700} truncate>{service.service_name}</Text>
                <ServiceStatusBadge service={detail} />
              </Group>
              {(service as { product_name?: string | null }).product_name && <Text size="sm" c="dimmed" mb="xs">{t("services.product")}: {(service as { product_name?: string | null }).product_name}</Text>}
              <ServiceFacts service={detail} />
              <Group mt="sm" gap="xs">
                <Button size="xs" variant="light" component={Link} to={`${PORTAL_ROOT}/usage/${service.service_id}`}>{t("services.viewUsage")}</Button>
                <Button size="xs" component={Link} to={`${PORTAL_ROOT}/topup/${service.service_id}`}>{t("services.topup")}</Button>
              </Group>
            </Card>
          );
        })}
      </SimpleGrid>
    </Stack>
  );
}
