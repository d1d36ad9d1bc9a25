/**
 * "Test connection": the API sends a SIP OPTIONS to the trunk (src/api/trunk-test.ts) and the
 * dialog shows what came back: reachable or not, the SIP status and phrase, the round trip in
 * milliseconds, the address tried, or why it failed (timeout, DNS, refused, not allowed…).
 * The probe runs when the dialog opens and again with "Test again".
 */
import { Alert, Badge, Button, Group, Loader, Modal, Table, Text } from '@mantine/core';
import { useCallback, useEffect, useState } from 'react';
import { asApiError } from '../../api/client';
import { testTrunk, type Trunk, type TrunkTestResult } from './trunk-api';

/** Longest the probe waits for an answer, milliseconds. */
const TIMEOUT_MS = 3000;

/** The probe's failure codes in words. */
const REASONS: Record<string, string> = {
  timeout: 'No answer within the time limit',
  dns_failure: 'The host name does not resolve',
  connection_refused: 'The connection was refused',
  tls_error: 'The TLS handshake failed',
  bad_response: 'The answer was not SIP',
  network_error: 'Network error',
  destination_not_allowed: 'This address may not be contacted',
};

function ResultTable({ r }: { r: TrunkTestResult }) {
  const rows: [string, string][] = [
    ['SIP status', r.statusCode !== null ? `${r.statusCode} ${r.reasonPhrase ?? ''}`.trim() : '—'],
    ['Latency', r.roundTripMs !== null ? `${Math.round(r.roundTripMs)} ms` : '—'],
    ['Address', r.resolvedAddress ? `${r.resolvedAddress} (${r.transport.toUpperCase()})` : r.transport.toUpperCase()],
  ];
  if (r.error) rows.push(['Reason', `${REASONS[r.error.code] ?? r.error.code}: ${r.error.message}`]);
  return (
    <Table variant="vertical" withTableBorder aria-label="Test result">
      <Table.Tbody>
        {rows.map(([k, val]) => (
          <Table.Tr key={k}>
            <Table.Th w={110}>{k}</Table.Th>
            <Table.Td style={{ overflowWrap: 'anywhere' }}>{val}</Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}

export function TrunkTestModal({ trunk, onClose }: { trunk: Trunk; onClose: () => void }) {
  const [result, setResult] = useState<TrunkTestResult | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [running, setRunning] = useState(false);

  const run = useCallback(async () => {
    setRunning(true);
    setError(null);
    setResult(null);
    try {
      setResult(await testTrunk(trunk.id, TIMEOUT_MS));
    } catch (err) {
      setError(asApiError(err).message);
    } finally {
      setRunning(false);
    }
  }, [trunk.id]);

  useEffect(() => {
    void run();
  }, [run]);

  return (
    <Modal opened onClose={onClose} title={`Test connection: ${trunk.name}`} centered>
      <Text size="sm" c="dimmed" mb="sm">SIP OPTIONS to {trunk.host}:{trunk.port} over {trunk.transport.toUpperCase()}</Text>
      <div aria-live="polite">
        {running && <Group gap="xs"><Loader size="sm" /><Text size="sm">Testing…</Text></Group>}
        {error && <Alert color="red" title="The test did not run" role="alert">{error}</Alert>}
        {result && (
          <>
            <Badge color={result.reachable ? 'green' : 'red'} size="lg" mb="sm">{result.reachable ? 'Reachable' : 'Not reachable'}</Badge>
            <ResultTable r={result} />
          </>
        )}
      </div>
      <Group justify="flex-end" mt="lg">
        <Button variant="default" onClick={onClose}>Close</Button>
        <Button onClick={() => void run()} loading={running}>Test again</Button>
      </Group>
    </Modal>
  );
}
