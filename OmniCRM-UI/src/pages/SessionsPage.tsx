import { Alert, Badge, Button, Stack, Table, Text, Title } from "@mantine/core";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";
import { api } from "../api";
import { useAuth } from "../auth/AuthContext";
import { ErrorState, LoadingState } from "../components/States";
import { formatDateTime } from "../config";
import { confirmDanger, notifyError, notifySuccess } from "../lib/feedback";

export interface LoginSession {
  id: number;
  device?: string | null;
  ip?: string | null;
  created: string;
  last_used: string;
  expires: string;
  remember_me: boolean;
  current: boolean;
}

/** A short name for a User-Agent: the browser and the system, enough to recognise one's own devices. */
export function deviceName(userAgent: string | null | undefined, unknown: string): string {
  if (!userAgent) return unknown;
  const browser = /Edg\//.test(userAgent) ? "Edge" : /Firefox\//.test(userAgent) ? "Firefox"
    : /Chrome\//.test(userAgent) ? "Chrome" : /Safari\//.test(userAgent) ? "Safari" : null;
  const system = /Android/.test(userAgent) ? "Android" : /iPhone|iPad/.test(userAgent) ? "iOS"
    : /Windows/.test(userAgent) ? "Windows" : /Mac OS X/.test(userAgent) ? "macOS" : /Linux/.test(userAgent) ? "Linux" : null;
  return browser && system ? `${browser} on ${system}` : userAgent.slice(0, 60);
}

/** Spec 02 §8 session management: the signed-in user's live sessions; any can be ended (the current one logs out). */
export function SessionsPage() {
  const { t } = useTranslation();
  const { logout } = useAuth();
  const queryClient = useQueryClient();
  const sessions = useQuery({ queryKey: ["sessions"], queryFn: () => api.get<LoginSession[]>("/crm/auth/sessions") });
  const end = useMutation({
    mutationFn: (session: LoginSession) => api.delete(`/crm/auth/sessions/${session.id}`),
    onSuccess: async (_answer, session) => {
      notifySuccess(t("sessions.ended"));
      if (session.current) await logout();
      else await queryClient.invalidateQueries({ queryKey: ["sessions"] });
    },
    onError: notifyError,
  });

  const askEnd = (session: LoginSession) => confirmDanger({
    title: t("sessions.end"),
    message: <Text size="sm">{t("sessions.endConfirm", { device: deviceName(session.device, t("sessions.unknownDevice")) })}</Text>,
    confirmLabel: t("sessions.end"),
    onConfirm: () => end.mutate(session),
  });

  return (
    <Stack>
      <Title order={2}>{t("sessions.title")}</Title>
      <Alert variant="light">{t("sessions.help")}</Alert>
      {sessions.isError ? <ErrorState error={sessions.error} onRetry={() => sessions.refetch()} /> : sessions.isPending ? <LoadingState /> : (
        <Table.ScrollContainer minWidth={640}>
          <Table striped verticalSpacing="xs" data-testid="sessions-table">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t("sessions.device")}</Table.Th>
                <Table.Th>{t("sessions.ip")}</Table.Th>
                <Table.Th>{t("sessions.lastUsed")}</Table.Th>
                <Table.Th>{t("sessions.started")}</Table.Th>
                <Table.Th>{t("sessions.expires")}</Table.Th>
                <Table.Th />
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {sessions.data.length === 0 && (
                <Table.Tr><Table.Td colSpan={6}><Text c="dimmed" ta="center">{t("sessions.none")}</Text></Table.Td></Table.Tr>
              )}
              {sessions.data.map((s) => (
                <Table.Tr key={s.id} data-testid={`session-row-${s.id}`}>
                  <Table.Td title={s.device ?? undefined}>
                    {deviceName(s.device, t("sessions.unknownDevice"))}{" "}
                    {s.current && <Badge size="xs" color="green">{t("sessions.current")}</Badge>}
                  </Table.Td>
                  <Table.Td>{s.ip}</Table.Td>
                  <Table.Td>{formatDateTime(s.last_used)}</Table.Td>
                  <Table.Td>{formatDateTime(s.created)}</Table.Td>
                  <Table.Td>{formatDateTime(s.expires)}</Table.Td>
                  <Table.Td>
                    <Button size="xs" variant="light" color="red" onClick={() => askEnd(s)} loading={end.isPending && end.variables?.id === s.id}>
                      {t("sessions.end")}
                    </Button>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </Stack>
  );
}
