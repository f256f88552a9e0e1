import { Button, Stack, Text, Title } from "@mantine/core";
import { useTranslation } from "react-i18next";
import { isRouteErrorResponse, Link, useRouteError } from "react-router";
import { ErrorState } from "../components/States";

export function NotFoundPage() {
  const { t } = useTranslation();
  return (
    <Stack align="flex-start" p="md">
      <Title order={2}>{t("common.notFound")}</Title>
      <Text>{t("common.notFoundText")}</Text>
      <Button component={Link} to="/">{t("common.home")}</Button>
    </Stack>
  );
}

export function ForbiddenPage() {
  const { t } = useTranslation();
  return <Text role="alert">{t("common.forbidden")}</Text>;
}

/** Anything a screen throws while rendering ends here instead of a blank page. */
export function RouteErrorPage() {
  const error = useRouteError();
  const { t } = useTranslation();
  if (isRouteErrorResponse(error) && error.status === 404) return <NotFoundPage />;
  return (
    <Stack p="md" maw={640}>
      <ErrorState error={error} onRetry={() => window.location.reload()} />
      <Button component="a" href="/" variant="subtle">{t("common.home")}</Button>
    </Stack>
  );
}
