import { Alert, Button, Card, Group, Modal, SimpleGrid, Stack, Text, TextInput } from "@mantine/core";
import { useMutation, useQueries, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { errorMessage } from "../../api";
import type { Service } from "../../api/domain";
import { notifySuccess } from "../../lib/feedback";
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
  const [cancelling, setCancelling] = useState<Service | null>(null);
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
                {service.service_status === "Active" && (
                  <Button size="xs" variant="subtle" color="red" onClick={() => setCancelling(service)} data-testid="service-cancel">{t("services.cancel")}</Button>
                )}
              </Group>
            </Card>
          );
        })}
      </SimpleGrid>
      <CancelModal service={cancelling} onClose={() => setCancelling(null)} />
    </Stack>
  );
}

/** Cancel Service (spec 07 §6.14, spec 06 §11.2): Pending Cancellation with a reason; staff can revert it. */
function CancelModal({ service, onClose }: { service: Service | null; onClose: () => void }) {
  const { t } = useTranslation("portal");
  const queryClient = useQueryClient();
  const [reason, setReason] = useState("");
  const [failure, setFailure] = useState<string | null>(null);
  const cancel = useMutation({
    mutationFn: () => portalApi.cancelService(service!.service_id, reason.trim()),
    onSuccess: () => {
      notifySuccess(t("services.cancelled"));
      for (const key of [["portal"], ["service"]]) void queryClient.invalidateQueries({ queryKey: key });
      setReason("");
      onClose();
    },
    onError: (error) => setFailure(errorMessage(error)),
  });
  return (
    <Modal opened={service !== null} onClose={onClose} title={t("services.cancelTitle", { name: service?.service_name ?? "" })}>
      <form onSubmit={(e) => { e.preventDefault(); setFailure(null); cancel.mutate(); }}>
        <Stack>
          <Text size="sm">{t("services.cancelHelp")}</Text>
          <TextInput label={t("services.cancelReason")} value={reason} onChange={(e) => setReason(e.currentTarget.value)} required data-testid="service-cancel-reason" />
          {failure && <Alert color="red" role="alert">{failure}</Alert>}
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>{t("common.back")}</Button>
            <Button type="submit" color="red" disabled={!reason.trim()} loading={cancel.isPending}>{t("services.cancelConfirm")}</Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
