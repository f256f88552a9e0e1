import { Alert, Button, Card, Group, NumberInput, PasswordInput, Stack, Switch, Text, TextInput } from "@mantine/core";
import { useDisclosure } from "@mantine/hooks";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState, type ReactNode } from "react";
import { useTranslation } from "react-i18next";
import { ApiError, errorMessage } from "../../api";
import { useAuth } from "../../auth/AuthContext";
import { ErrorState, LoadingState } from "../../components/States";
import { TwoFactorSetup } from "../../components/TwoFactorSetup";
import { notifyError, notifySuccess } from "../../lib/feedback";
import { portalApi, type Preferences } from "../api";
import { formatDate, PageTitle } from "../components";
import { ApiKeysCard } from "./ApiKeysCard";
import { usePortalCustomer } from "./DashboardPage";

function Row({ label, children }: { label: string; children: ReactNode }) {
  return (
    <Group justify="space-between" wrap="nowrap" gap="xs">
      <Text size="sm" c="dimmed">{label}</Text>
      <Text size="sm" fw={500} ta="right" style={{ minWidth: 0, overflowWrap: "anywhere" }}>{children}</Text>
    </Group>
  );
}

/** Account (spec 07 §6.3): details, phone and e-mail (verified), password with the current one, alert preferences,
 * sites and contacts read-only, two-factor authentication. */
export function AccountPage() {
  const { t } = useTranslation("portal");
  const { user, session, updateUser, replaceSession } = useAuth();
  const customerId = usePortalCustomer();
  const queryClient = useQueryClient();
  const impersonating = Boolean(session?.impersonator);
  const customer = useQuery({ queryKey: ["portal", "customer", customerId], queryFn: () => portalApi.customer(customerId), enabled: customerId > 0 });
  const contacts = useQuery({ queryKey: ["portal", "contacts", customerId], queryFn: () => portalApi.contacts(customerId), enabled: customerId > 0 });
  const sites = useQuery({ queryKey: ["portal", "sites", customerId], queryFn: () => portalApi.sites(customerId), enabled: customerId > 0 });
  const activity = useQuery({ queryKey: ["portal", "activity", customerId], queryFn: () => portalApi.activity(customerId), enabled: customerId > 0, retry: false });
  const preferences = useQuery({ queryKey: ["portal", "preferences"], queryFn: portalApi.preferences });
  const [phone, setPhone] = useState(user?.phone_number ?? "");
  const [email, setEmail] = useState(user?.email ?? "");
  const [pending, setPending] = useState<string | null>(null);
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [passwordErrors, setPasswordErrors] = useState<Record<string, string>>({});
  const [prefs, setPrefs] = useState<Preferences | null>(null);
  const [twoFactorOpen, twoFactor] = useDisclosure(false);
  useEffect(() => { if (preferences.data) setPrefs(preferences.data); }, [preferences.data]);

  const saveDetails = useMutation({
    mutationFn: () => portalApi.saveAccount({ phone_number: phone, ...(email && email !== user?.email ? { email } : {}) }),
    onSuccess: (body) => {
      updateUser({ phone_number: phone });
      setPending((body.pending_email as string | null) ?? null);
      notifySuccess(t("account.saved"));
    },
    onError: notifyError,
  });
  const changePassword = useMutation({
    mutationFn: () => portalApi.changePassword(current, next),
    onSuccess: (answer) => {
      replaceSession(answer as never);
      setCurrent(""); setNext(""); setPasswordErrors({});
      notifySuccess(t("account.passwordChanged"));
    },
    onError: (error) => {
      if (error instanceof ApiError && Object.keys(error.errors).length) setPasswordErrors(error.errors);
      else notifyError(error);
    },
  });
  const savePrefs = useMutation({
    mutationFn: (values: Preferences) => portalApi.savePreferences(values),
    onSuccess: (saved) => { queryClient.setQueryData(["portal", "preferences"], saved); void queryClient.invalidateQueries({ queryKey: ["portal", "alerts"] }); notifySuccess(t("account.saved")); },
    onError: notifyError,
  });

  if (customer.isError) return <ErrorState error={customer.error} onRetry={() => customer.refetch()} />;
  if (customer.isPending) return <LoadingState />;
  return (
    <Stack data-testid="portal-account">
      <PageTitle>{t("account.title")}</PageTitle>
      <Card withBorder>
        <Text fw={700} mb="xs">{t("account.details")}</Text>
        <Stack gap={4}>
          <Row label={t("account.name")}>{`${user?.first_name ?? ""} ${user?.last_name ?? ""}`.trim()}</Row>
          <Row label={t("account.customerId")}>{customer.data.customer_id}</Row>
          <Row label={t("account.since")}>{formatDate(customer.data.created)}</Row>
          <Row label={t("account.type")}>{customer.data.customer_account_type ?? "—"}</Row>
        </Stack>
        <Text size="xs" c="dimmed" mt="xs">{t("account.readOnly")}</Text>
      </Card>
      <Card withBorder component="form" onSubmit={(e) => { e.preventDefault(); saveDetails.mutate(); }}>
        <Stack gap="sm">
          <TextInput label={t("account.phone")} value={phone} onChange={(e) => setPhone(e.currentTarget.value)} type="tel" inputMode="tel" data-testid="account-phone" />
          <TextInput label={t("account.email")} value={email} onChange={(e) => setEmail(e.currentTarget.value)} type="email" description={t("account.emailHelp")} data-testid="account-email" disabled={impersonating} />
          {(pending ?? (user as { pending_email?: string | null } | null)?.pending_email) && (
            <Alert color="blue" p="xs">{t("account.emailPending", { email: pending ?? (user as { pending_email?: string }).pending_email })}</Alert>
          )}
          <Group justify="flex-end"><Button type="submit" loading={saveDetails.isPending} data-testid="account-save">{t("common.save")}</Button></Group>
        </Stack>
      </Card>
      <Card withBorder component="form" onSubmit={(e) => { e.preventDefault(); changePassword.mutate(); }}>
        <Text fw={700} mb="xs">{t("account.password")}</Text>
        {impersonating ? <Text size="sm" c="dimmed">{t("account.passwordImpersonating")}</Text> : (
          <Stack gap="sm">
            <PasswordInput label={t("account.currentPassword")} value={current} onChange={(e) => setCurrent(e.currentTarget.value)} required autoComplete="current-password" error={passwordErrors.current_password} />
            <PasswordInput label={t("account.newPassword")} value={next} onChange={(e) => setNext(e.currentTarget.value)} required autoComplete="new-password" error={passwordErrors.new_password} />
            <Group justify="flex-end"><Button type="submit" loading={changePassword.isPending}>{t("account.changePassword")}</Button></Group>
          </Stack>
        )}
      </Card>
      <Card withBorder data-testid="account-notifications">
        <Text fw={700} mb="xs">{t("account.notifications")}</Text>
        {!prefs ? <LoadingState /> : (
          <Stack gap="sm">
            <Switch label={t("account.emailAlerts")} checked={prefs.email_enabled} onChange={(e) => setPrefs({ ...prefs, email_enabled: e.currentTarget.checked })} />
            <NumberInput label={t("account.lowBalance")} min={1} max={90} value={prefs.low_balance_percent} onChange={(v) => setPrefs({ ...prefs, low_balance_percent: Number(v) || 10 })} data-testid="account-threshold" />
            <Switch label={t("account.categoryBilling")} checked={prefs.billing} onChange={(e) => setPrefs({ ...prefs, billing: e.currentTarget.checked })} />
            <Switch label={t("account.categoryUsage")} checked={prefs.usage} onChange={(e) => setPrefs({ ...prefs, usage: e.currentTarget.checked })} />
            <Switch label={t("account.categoryService")} checked={prefs.service} onChange={(e) => setPrefs({ ...prefs, service: e.currentTarget.checked })} />
            <Group justify="flex-end"><Button onClick={() => savePrefs.mutate(prefs)} loading={savePrefs.isPending} data-testid="account-save-preferences">{t("common.save")}</Button></Group>
          </Stack>
        )}
      </Card>
      <Card withBorder>
        <Text fw={700} mb="xs">{t("account.security")}</Text>
        <Group justify="space-between">
          <Text size="sm">{t("account.twoFactor")}: {user?.is_2fa_enabled ? t("account.twoFactorOn") : t("account.twoFactorOff")}</Text>
          {!user?.is_2fa_enabled && !impersonating && <Button size="xs" variant="light" onClick={twoFactor.open}>{t("account.enable2fa")}</Button>}
        </Group>
        <TwoFactorSetup opened={twoFactorOpen} onClose={twoFactor.close} />
      </Card>
      <ApiKeysCard impersonating={impersonating} />
      <Card withBorder data-testid="account-activity">
        <Text fw={700} mb="xs">{t("account.activity")}</Text>
        {!activity.data?.length ? <Text size="sm" c="dimmed">{t("account.noActivity")}</Text> : (
          <Stack gap={6}>
            {activity.data.map((row) => (
              <div key={row.activity_id}>
                <Text size="sm">{row.description}</Text>
                <Text size="xs" c="dimmed">{formatDate(row.created)} · {row.actor.replace(/^user:/, "")}</Text>
              </div>
            ))}
          </Stack>
        )}
      </Card>
      <Card withBorder>
        <Text fw={700} mb="xs">{t("account.sites")}</Text>
        {sites.isError ? <Text size="sm" c="red">{errorMessage(sites.error)}</Text> : !sites.data?.length ? <Text size="sm" c="dimmed">{t("account.noSites")}</Text> : (
          <Stack gap={4}>{sites.data.map((site) => <Text key={site.site_id} size="sm">{[site.site_name, site.address_line_1, site.city, site.zip_code, site.country].filter(Boolean).join(", ")}</Text>)}</Stack>
        )}
      </Card>
      <Card withBorder>
        <Text fw={700} mb="xs">{t("account.contacts")}</Text>
        {contacts.isError ? <Text size="sm" c="red">{errorMessage(contacts.error)}</Text> : !contacts.data?.length ? <Text size="sm" c="dimmed">{t("account.noContacts")}</Text> : (
          <Stack gap={4}>{contacts.data.map((c) => <Text key={c.contact_id} size="sm">{`${c.contact_firstname} ${c.contact_lastname ?? ""}`.trim()} · {c.contact_email ?? ""} {c.contact_phone ? `· ${c.contact_phone}` : ""}</Text>)}</Stack>
        )}
      </Card>
    </Stack>
  );
}
