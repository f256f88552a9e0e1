import { Badge, Button, Card, Group, Modal, Stack, Table, Text, TextInput } from "@mantine/core";
import { IconLogin, IconMailForward } from "@tabler/icons-react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { useNavigate } from "react-router";
import { useAuth } from "../auth/AuthContext";
import { ErrorState, LoadingState } from "../components/States";
import { formatDateTime } from "../config";
import { notifyError, notifySuccess } from "../lib/feedback";
import { portalApi, type PortalLogin } from "./api";
import { startImpersonation } from "./impersonation";
import { PORTAL_ROOT } from "./logic";

/** Console, customer page → Contacts: which contacts can log in to the self-care portal; invite, disable, enable,
 * and "Log in as customer" (impersonation with a reason, spec 05 §7.3). */
export function PortalLogins({ customerId }: { customerId: number }) {
  const { t } = useTranslation("portal");
  const { allows } = useAuth();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const [target, setTarget] = useState<PortalLogin | null>(null);
  const [reason, setReason] = useState("");
  const logins = useQuery({ queryKey: ["portal-logins", customerId], queryFn: () => portalApi.logins(customerId), enabled: allows("view_customer_contact") });
  const refresh = () => queryClient.invalidateQueries({ queryKey: ["portal-logins", customerId] });
  const invite = useMutation({
    mutationFn: (row: PortalLogin) => portalApi.invite(row.contact_id),
    onSuccess: (row) => { notifySuccess(t("logins.invited_ok", { email: row.email })); void refresh(); },
    onError: notifyError,
  });
  const toggle = useMutation({
    mutationFn: (row: PortalLogin) => portalApi.setLoginActive(row.user_id as number, !row.active),
    onSuccess: (row) => { notifySuccess(row.active ? t("logins.enabledOk") : t("logins.disabledOk")); void refresh(); },
    onError: notifyError,
  });
  const impersonate = useMutation({
    mutationFn: () => startImpersonation(target?.user_id as number, reason.trim(), customerId),
    onSuccess: () => { queryClient.clear(); setTarget(null); navigate(PORTAL_ROOT); },
    onError: notifyError,
  });
  if (!allows("view_customer_contact")) return null;
  const canEdit = allows("update_customer_contact");
  const canImpersonate = allows(["can_impersonate", "admin"]);
  return (
    <Card withBorder mt="md" data-testid="portal-logins">
      <Text fw={700} mb="xs">{t("logins.title")}</Text>
      {logins.isError ? <ErrorState error={logins.error} onRetry={() => logins.refetch()} /> : logins.isPending ? <LoadingState /> : (
        <Table.ScrollContainer minWidth={560}>
          <Table>
            <Table.Thead>
              <Table.Tr><Table.Th>{t("logins.contact")}</Table.Th><Table.Th>{t("logins.login")}</Table.Th><Table.Th>{t("logins.status")}</Table.Th><Table.Th /></Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {logins.data.map((row) => (
                <Table.Tr key={row.contact_id} data-testid={`portal-login-${row.contact_id}`}>
                  <Table.Td>{row.name}</Table.Td>
                  <Table.Td>{row.email ?? row.contact_email ?? "—"}{row.last_login && <Text size="xs" c="dimmed">{t("logins.lastLogin")}: {formatDateTime(row.last_login)}</Text>}</Table.Td>
                  <Table.Td>
                    <Badge color={!row.has_login ? "gray" : row.active ? (row.invited ? "blue" : "green") : "red"}>
                      {!row.has_login ? t("logins.none") : !row.active ? t("logins.disabled") : row.invited ? t("logins.invited") : t("logins.active")}
                    </Badge>
                  </Table.Td>
                  <Table.Td>
                    <Group gap="xs" justify="flex-end" wrap="nowrap">
                      {!row.has_login && canEdit && (
                        <Button size="xs" variant="light" leftSection={<IconMailForward size={14} />} disabled={!row.contact_email}
                          loading={invite.isPending && invite.variables?.contact_id === row.contact_id} onClick={() => invite.mutate(row)} data-testid="portal-invite">
                          {t("logins.invite")}
                        </Button>
                      )}
                      {row.has_login && canEdit && (
                        <Button size="xs" variant="subtle" color={row.active ? "red" : "green"} onClick={() => toggle.mutate(row)} data-testid="portal-login-toggle">
                          {row.active ? t("logins.disable") : t("logins.enable")}
                        </Button>
                      )}
                      {row.has_login && row.active && canImpersonate && (
                        <Button size="xs" leftSection={<IconLogin size={14} />} onClick={() => { setReason(""); setTarget(row); }} data-testid="login-as-customer">
                          {t("impersonation.start")}
                        </Button>
                      )}
                    </Group>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      <Modal opened={target !== null} onClose={() => setTarget(null)} title={t("impersonation.reasonTitle", { name: target?.name ?? "" })}>
        <form onSubmit={(e) => { e.preventDefault(); impersonate.mutate(); }}>
          <Stack>
            <TextInput label={t("impersonation.reason")} description={t("impersonation.reasonHelp")} value={reason} required autoFocus
              onChange={(e) => setReason(e.currentTarget.value)} data-testid="impersonation-reason" />
            <Group justify="flex-end">
              <Button variant="default" onClick={() => setTarget(null)}>{t("common.cancel")}</Button>
              <Button type="submit" disabled={reason.trim().length < 3} loading={impersonate.isPending} data-testid="impersonation-go">{t("impersonation.go")}</Button>
            </Group>
          </Stack>
        </form>
      </Modal>
    </Card>
  );
}
