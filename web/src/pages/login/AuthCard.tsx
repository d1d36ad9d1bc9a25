/** The frame of the pages before login (/login, /accept): the product name and a card, centred, fitting 375 px. */
import { Center, Paper, Stack, Text, Title } from '@mantine/core';
import type { ReactNode } from 'react';

export function AuthCard({ title, children }: { title: string; children: ReactNode }) {
  return (
    <Center mih="100vh" p="md" component="main">
      <Stack w="100%" maw={400} gap="lg">
        <Stack gap={2} align="center">
          <Text fw={700} size="xl" c="indigo">Switchplane</Text>
          <Title order={1} size="h3" ta="center">{title}</Title>
        </Stack>
        <Paper withBorder shadow="sm" p="lg" radius="md">
          {children}
        </Paper>
      </Stack>
    </Center>
  );
}
