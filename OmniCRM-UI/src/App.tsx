import { localStorageColorSchemeManager, MantineProvider } from "@mantine/core";
import { ModalsProvider } from "@mantine/modals";
import { Notifications } from "@mantine/notifications";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { RouterProvider } from "react-router";
import { ApiError, sessionExpiredListeners } from "./api";
import { AuthProvider } from "./auth/AuthContext";
import { config } from "./config";
import { createRouter } from "./routes";
import { buildTheme } from "./theme";

const theme = buildTheme(config);
const colorSchemeManager = localStorageColorSchemeManager({ key: "omnicrm.color-scheme" });

export function makeQueryClient() {
  return new QueryClient({
    defaultOptions: {
      queries: {
        staleTime: 15_000,
        refetchOnWindowFocus: false,
        // 4xx answers will not change by asking again; network trouble and 5xx get one more try.
        retry: (count, error) => count < 1 && !(error instanceof ApiError && error.status >= 400 && error.status < 500),
      },
    },
  });
}

export function App() {
  const [queryClient] = useState(makeQueryClient);
  const [router] = useState(createRouter);

  useEffect(() => {
    const onExpired = () => {
      queryClient.clear();
      const next = `${window.location.pathname}${window.location.search}${window.location.hash}`;
      void router.navigate(`/login?next=${encodeURIComponent(next)}`, { replace: true, state: { expired: true } });
    };
    sessionExpiredListeners.add(onExpired);
    return () => {
      sessionExpiredListeners.delete(onExpired);
    };
  }, [queryClient, router]);

  return (
    <MantineProvider theme={theme} colorSchemeManager={colorSchemeManager} defaultColorScheme="light">
      <QueryClientProvider client={queryClient}>
        <AuthProvider>
          <ModalsProvider>
            <Notifications position="top-right" />
            <RouterProvider router={router} />
          </ModalsProvider>
        </AuthProvider>
      </QueryClientProvider>
    </MantineProvider>
  );
}
