import { Alert, Button, Center, Loader, Stack, Text } from "@mantine/core";
import { IconAlertTriangle } from "@tabler/icons-react";
import { useTranslation } from "react-i18next";
import { errorMessage } from "../api";

export function LoadingState() {
  const { t } = useTranslation();
  return (
    <Center py="xl" aria-busy="true">
      <Loader aria-label={t("common.loading")} />
    </Center>
  );
}

/** What a page shows instead of data when its request failed: the API's message and a retry. */
export function ErrorState({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  const { t } = useTranslation();
  return (
    <Alert color="red" icon={<IconAlertTriangle />} title={t("common.errorTitle")} role="alert">
      <Stack gap="xs" align="flex-start">
        <Text size="sm">{errorMessage(error)}</Text>
        {onRetry && <Button size="xs" variant="light" color="red" onClick={onRetry}>{t("common.retry")}</Button>}
      </Stack>
    </Alert>
  );
}
