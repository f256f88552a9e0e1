import { Alert, Button, Code, CopyButton, Group, List, Modal, PasswordInput, SimpleGrid, Stack, Stepper, Text, TextInput } from "@mantine/core";
import { IconAlertCircle, IconShieldCheck } from "@tabler/icons-react";
import { useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import { api, ApiError, errorMessage } from "../api";
import { useAuth } from "../auth/AuthContext";
import { codeDigits, TOTP_DIGITS } from "../lib/twoFactor";
import { QrCode } from "./InventoryItems";

interface Enrolment {
  totp_secret: string;
  qr_code_url: string;
  backup_codes: string[];
}

const QR_SETUP_PX = 200;

/**
 * The 2FA enrolment wizard (spec 02 §7.5): the current password starts the enrolment, the QR code of the API's
 * otpauth URI is drawn in the browser with the backup codes beside it, and a code from the app switches 2FA on.
 */
export function TwoFactorSetup({ opened, onClose }: { opened: boolean; onClose: () => void }) {
  const { t } = useTranslation();
  const { user, updateUser } = useAuth();
  const [step, setStep] = useState(0);
  const [password, setPassword] = useState("");
  const [code, setCode] = useState("");
  const [enrolment, setEnrolment] = useState<Enrolment | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [fieldError, setFieldError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const close = () => {
    setStep(0);
    setPassword("");
    setCode("");
    setEnrolment(null);
    setProblem(null);
    setFieldError(null);
    onClose();
  };

  const run = async (action: () => Promise<void>, badField: string) => {
    setBusy(true);
    setProblem(null);
    setFieldError(null);
    try {
      await action();
    } catch (error) {
      if (error instanceof ApiError && error.errors[badField]) setFieldError(t(badField === "password" ? "twoFactor.wrongPassword" : "twoFactor.badCode"));
      else setProblem(errorMessage(error));
    } finally {
      setBusy(false);
    }
  };

  const confirmPassword = (event: FormEvent) => {
    event.preventDefault();
    if (!password) {
      setFieldError(t("common.required"));
      return;
    }
    void run(async () => {
      setEnrolment(await api.post<Enrolment>(`/crm/2fa/enable/user/${user?.id}`, { password }));
      setPassword("");
      setStep(1);
    }, "password");
  };

  const confirmCode = (event: FormEvent) => {
    event.preventDefault();
    if (code.length !== TOTP_DIGITS) {
      setFieldError(t("twoFactor.sixDigits"));
      return;
    }
    void run(async () => {
      await api.post(`/crm/2fa/verify-setup/user/${user?.id}`, { code });
      updateUser({ is_2fa_enabled: true });
      setStep(2);
    }, "code");
  };

  return (
    <Modal opened={opened} onClose={close} title={t("twoFactor.setupTitle")} size="lg" closeOnClickOutside={false}>
      <Stepper active={step} size="sm" allowNextStepsSelect={false}>
        <Stepper.Step label={t("twoFactor.stepPassword")}>
          <form onSubmit={confirmPassword} noValidate>
            <Stack mt="md">
              <Text size="sm">{t("twoFactor.passwordHelp")}</Text>
              {problem && <Alert color="red" icon={<IconAlertCircle />} role="alert">{problem}</Alert>}
              <PasswordInput label={t("auth.currentPassword")} autoComplete="current-password" value={password}
                onChange={(event) => setPassword(event.currentTarget.value)} error={fieldError} data-autofocus />
              <Group justify="flex-end">
                <Button variant="default" onClick={close}>{t("common.cancel")}</Button>
                <Button type="submit" loading={busy}>{t("twoFactor.continue")}</Button>
              </Group>
            </Stack>
          </form>
        </Stepper.Step>
        <Stepper.Step label={t("twoFactor.stepScan")}>
          {enrolment && (
            <form onSubmit={confirmCode} noValidate>
              <Stack mt="md">
                <List type="ordered" size="sm" spacing="xs">
                  <List.Item>{t("twoFactor.instructionApp")}</List.Item>
                  <List.Item>{t("twoFactor.instructionScan")}</List.Item>
                  <List.Item>{t("twoFactor.instructionCodes")}</List.Item>
                  <List.Item>{t("twoFactor.instructionVerify")}</List.Item>
                </List>
                <SimpleGrid cols={{ base: 1, sm: 2 }}>
                  <Stack align="center" gap="xs">
                    <QrCode value={enrolment.qr_code_url} size={QR_SETUP_PX} />
                    <Text size="xs" c="dimmed" ta="center">{t("twoFactor.manualKey")}</Text>
                    <Code data-testid="totp-secret" style={{ wordBreak: "break-all" }}>{enrolment.totp_secret}</Code>
                  </Stack>
                  <Stack gap="xs">
                    <Text size="sm" fw={600}>{t("twoFactor.backupCodes")}</Text>
                    <Text size="xs" c="dimmed">{t("twoFactor.backupCodesHelp")}</Text>
                    <SimpleGrid cols={2} spacing={4} data-testid="backup-codes">
                      {enrolment.backup_codes.map((backup) => <Code key={backup}>{backup}</Code>)}
                    </SimpleGrid>
                    <CopyButton value={enrolment.backup_codes.join("\n")}>
                      {({ copied, copy }) => (
                        <Button size="xs" variant="light" color={copied ? "teal" : undefined} onClick={copy}>
                          {copied ? t("twoFactor.copied") : t("twoFactor.copyCodes")}
                        </Button>
                      )}
                    </CopyButton>
                  </Stack>
                </SimpleGrid>
                {problem && <Alert color="red" icon={<IconAlertCircle />} role="alert">{problem}</Alert>}
                <TextInput label={t("twoFactor.code")} value={code} inputMode="numeric" autoComplete="one-time-code"
                  maxLength={TOTP_DIGITS} onChange={(event) => setCode(codeDigits(event.currentTarget.value, TOTP_DIGITS))}
                  error={fieldError} styles={{ input: { letterSpacing: "0.4em", fontFamily: "monospace" } }} />
                <Group justify="flex-end">
                  <Button variant="default" onClick={close}>{t("common.cancel")}</Button>
                  <Button type="submit" loading={busy}>{t("common.confirm")}</Button>
                </Group>
              </Stack>
            </form>
          )}
        </Stepper.Step>
        <Stepper.Completed>
          <Stack mt="md" align="center" data-testid="two-factor-enabled">
            <IconShieldCheck size={48} color="var(--mantine-color-green-6)" />
            <Text fw={600}>{t("twoFactor.enabledTitle")}</Text>
            <Text size="sm" ta="center">{t("twoFactor.enabledText")}</Text>
            <Button onClick={close}>{t("common.close")}</Button>
          </Stack>
        </Stepper.Completed>
      </Stepper>
    </Modal>
  );
}
