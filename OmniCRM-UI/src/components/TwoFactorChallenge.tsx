import { Alert, Button, Group, Stack, Tabs, Text, TextInput, Title } from "@mantine/core";
import { IconAlertCircle } from "@tabler/icons-react";
import { useRef, useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import { ApiError, errorMessage, type Session } from "../api";
import { useAuth } from "../auth/AuthContext";
import { BACKUP_CODE_DIGITS, codeDigits, codeToSubmit, isBackupCode, TOTP_DIGITS, type TwoFactorChallenge as Challenge } from "../lib/twoFactor";

/**
 * The login's second step (spec 02 §7.3): the authenticator code sends itself at the 6th digit; a recovery (backup)
 * code is sent with Verify and is used up. Cancel goes back to the email/password form.
 */
export function TwoFactorChallenge({ challenge, onCancel, onDone }: {
  challenge: Challenge;
  onCancel: () => void;
  onDone: (session: Session) => void;
}) {
  const { t } = useTranslation();
  const { completeTwoFactor } = useAuth();
  const [tab, setTab] = useState<string | null>("app");
  const [code, setCode] = useState("");
  const [backup, setBackup] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const busyRef = useRef(false);

  const verify = async (value: string) => {
    busyRef.current = true;
    setBusy(true);
    setProblem(null);
    try {
      onDone(await completeTwoFactor(challenge, value));
    } catch (error) {
      setProblem(error instanceof ApiError && error.errors.code ? t("twoFactor.badCode") : errorMessage(error));
      if (value.length === TOTP_DIGITS) setCode("");
    } finally {
      busyRef.current = false;
      setBusy(false);
    }
  };

  const onCodeChange = (typed: string) => {
    const next = codeDigits(typed, TOTP_DIGITS);
    const ready = codeToSubmit(code, next, busyRef.current);
    setCode(next);
    if (ready) void verify(ready);
  };

  const onBackup = (event: FormEvent) => {
    event.preventDefault();
    if (!isBackupCode(backup)) {
      setProblem(t("twoFactor.backupFormat", { count: BACKUP_CODE_DIGITS }));
      return;
    }
    void verify(backup.replace(/[\s-]/g, ""));
  };

  return (
    <Stack data-testid="two-factor-challenge">
      <div>
        <Title order={3}>{t("twoFactor.challengeTitle")}</Title>
        <Text size="sm" c="dimmed">{t("twoFactor.challengeHelp")}</Text>
      </div>
      {problem && <Alert color="red" icon={<IconAlertCircle />} role="alert" data-testid="two-factor-error">{problem}</Alert>}
      <Tabs value={tab} onChange={(value) => { setTab(value); setProblem(null); }}>
        <Tabs.List grow>
          <Tabs.Tab value="app">{t("twoFactor.appTab")}</Tabs.Tab>
          <Tabs.Tab value="backup">{t("twoFactor.backupTab")}</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="app" pt="md">
          <Stack gap="xs">
            <TextInput
              label={t("twoFactor.code")}
              description={t("twoFactor.codeHelp")}
              value={code}
              onChange={(event) => onCodeChange(event.currentTarget.value)}
              inputMode="numeric"
              autoComplete="one-time-code"
              maxLength={TOTP_DIGITS}
              disabled={busy}
              data-autofocus
              autoFocus
              styles={{ input: { letterSpacing: "0.4em", fontFamily: "monospace", fontSize: 20 } }}
            />
            <Text size="xs" c="dimmed">{t("twoFactor.timeHint")}</Text>
          </Stack>
        </Tabs.Panel>
        <Tabs.Panel value="backup" pt="md">
          <form onSubmit={onBackup} noValidate>
            <Stack gap="xs">
              <TextInput
                label={t("twoFactor.backupCode")}
                description={t("twoFactor.backupHelp")}
                value={backup}
                onChange={(event) => setBackup(event.currentTarget.value)}
                autoComplete="off"
                maxLength={BACKUP_CODE_DIGITS + 2}
              />
              <Button type="submit" loading={busy}>{t("twoFactor.verify")}</Button>
            </Stack>
          </form>
        </Tabs.Panel>
      </Tabs>
      <Group justify="center">
        <Button variant="subtle" color="gray" onClick={onCancel} disabled={busy}>{t("common.cancel")}</Button>
      </Group>
    </Stack>
  );
}
