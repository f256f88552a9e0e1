import { Alert, Badge, Button, Card, Code, CopyButton, Group, SegmentedControl, Stack, Text, TextInput } from "@mantine/core";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { notifyError, notifySuccess } from "../../lib/feedback";
import { portalApi } from "../api";
import { formatDate } from "../components";

const inDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);

/** Account → API access (spec 07 §6.13): generate a read-only or read-write key with an expiry; shown once. */
export function ApiKeysCard({ impersonating }: { impersonating: boolean }) {
  const { t } = useTranslation("portal");
  const queryClient = useQueryClient();
  const keys = useQuery({ queryKey: ["portal", "api-keys"], queryFn: portalApi.apiKeys, enabled: !impersonating });
  const [name, setName] = useState("");
  const [access, setAccess] = useState<"read_only" | "read_write">("read_only");
  const [expiry, setExpiry] = useState(inDays(90));
  const [shown, setShown] = useState<string | null>(null);
  const create = useMutation({
    mutationFn: () => portalApi.createApiKey({ name: name.trim(), access, expiry_date: expiry }),
    onSuccess: (key) => { setShown(key.api_key); setName(""); void queryClient.invalidateQueries({ queryKey: ["portal", "api-keys"] }); },
    onError: notifyError,
  });
  const revoke = useMutation({
    mutationFn: (id: number) => portalApi.revokeApiKey(id),
    onSuccess: () => { notifySuccess(t("apiKeys.revoked")); void queryClient.invalidateQueries({ queryKey: ["portal", "api-keys"] }); },
    onError: notifyError,
  });
  return (
    <Card withBorder data-testid="account-api-keys">
      <Text fw={700} mb={4}>{t("apiKeys.title")}</Text>
      {impersonating ? <Text size="sm" c="dimmed">{t("apiKeys.impersonating")}</Text> : (
        <Stack gap="sm">
          <Text size="xs" c="dimmed">{t("apiKeys.help")}</Text>
          {shown && (
            <Alert color="green" data-testid="api-key-shown">
              <Text size="sm" mb={4}>{t("apiKeys.shownOnce")}</Text>
              <Group gap="xs" wrap="nowrap">
                <Code style={{ overflowWrap: "anywhere" }}>{shown}</Code>
                <CopyButton value={shown}>{({ copy, copied }) => <Button size="xs" variant="light" onClick={copy}>{copied ? "✓" : "Copy"}</Button>}</CopyButton>
              </Group>
            </Alert>
          )}
          {(keys.data ?? []).length === 0 ? <Text size="sm" c="dimmed">{t("apiKeys.none")}</Text> : (
            <Stack gap={4}>
              {(keys.data ?? []).map((key) => (
                <Group key={key.api_key_id} justify="space-between" wrap="nowrap">
                  <div style={{ minWidth: 0 }}>
                    <Text size="sm" fw={600} truncate>{key.name} <Badge size="xs" variant="light">{key.access === "read_write" ? t("apiKeys.readWrite") : t("apiKeys.readOnly")}</Badge></Text>
                    <Text size="xs" c="dimmed">{key.api_key} · {t("apiKeys.expiry")} {formatDate(key.expiry_date)}</Text>
                  </div>
                  <Button size="xs" variant="subtle" color="red" onClick={() => revoke.mutate(key.api_key_id)}>{t("apiKeys.revoke")}</Button>
                </Group>
              ))}
            </Stack>
          )}
          <form onSubmit={(e) => { e.preventDefault(); create.mutate(); }}>
            <Stack gap="xs">
              <TextInput label={t("apiKeys.name")} value={name} onChange={(e) => setName(e.currentTarget.value)} required data-testid="api-key-name" />
              <SegmentedControl value={access} onChange={(v) => setAccess(v as "read_only" | "read_write")}
                data={[{ value: "read_only", label: t("apiKeys.readOnly") }, { value: "read_write", label: t("apiKeys.readWrite") }]} />
              <TextInput type="date" label={t("apiKeys.expiry")} value={expiry} onChange={(e) => setExpiry(e.currentTarget.value)} required min={inDays(1)} max={inDays(366)} />
              <Group justify="flex-end"><Button type="submit" disabled={!name.trim()} loading={create.isPending} data-testid="api-key-generate">{t("apiKeys.generate")}</Button></Group>
            </Stack>
          </form>
        </Stack>
      )}
    </Card>
  );
}
