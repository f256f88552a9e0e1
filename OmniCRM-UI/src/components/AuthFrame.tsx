import { Box, Center, Image, Paper, Stack, Text, Title } from "@mantine/core";
import type { ReactNode } from "react";
import { logos } from "../branding";
import { config } from "../config";

/** The signed-out screens (login, 2FA, forgot/reset password): light logo on the brand colour, one card. */
export function AuthFrame({ children }: { children: ReactNode }) {
  return (
    <Center mih="100vh" p="md" className="auth-one-bg" style={{ background: "linear-gradient(135deg, var(--mantine-color-brand-8), var(--mantine-color-brand-5))" }}>
      <Box w="100%" maw={420}>
        <Stack align="center" gap={4} mb="md">
          <Image src={logos.light} h={56} w={56} alt="" />
          <Title order={2} c="white">{config.companyName}</Title>
          {config.tagline && <Text c="white" size="sm" ta="center">{config.tagline}</Text>}
        </Stack>
        <Paper withBorder shadow="md" p="lg" radius="md">{children}</Paper>
      </Box>
    </Center>
  );
}
