/**
 * The post-call analysis of an AI session: one short text-model call through the `openai`
 * package (Chat Completions, `response_format: json_object`) that reads the transcript and
 * answers the caller's sentiment (positive | neutral | negative) and a satisfaction score (1–5),
 * the W3 Suite session's `sentiment` and `satisfactionScore`. Skipped (null) when AI_ANALYSIS is
 * off, the transcript holds nothing the caller said, or the model answers something else.
 */
import OpenAI from 'openai';
import type { AiSettings } from '../config.js';
import type { TranscriptEntry } from '../domain/ai-session-writes.js';

export interface CallAnalysis {
  sentiment: 'positive' | 'neutral' | 'negative';
  satisfactionScore: number;
}

const PROMPT =
  'You rate customer phone calls. Read the transcript and answer only a JSON object ' +
  '{"sentiment":"positive"|"neutral"|"negative","satisfactionScore":1-5}: the caller\'s sentiment at the end ' +
  'of the call and how satisfied they likely are (1 = very unsatisfied, 5 = very satisfied).';

/** Parses the model's answer; null unless both fields are valid. */
export function parseAnalysis(text: string | null | undefined): CallAnalysis | null {
  try {
    const a = JSON.parse(text ?? '') as { sentiment?: unknown; satisfactionScore?: unknown };
    const score = Number(a.satisfactionScore);
    if (!['positive', 'neutral', 'negative'].includes(a.sentiment as string) || !Number.isInteger(score) || score < 1 || score > 5) return null;
    return { sentiment: a.sentiment as CallAnalysis['sentiment'], satisfactionScore: score };
  } catch {
    return null;
  }
}

/**
 * Rates a finished call; `timeoutMs` bounds the one request (no retry: the session is stored without it).
 * @throws the openai package's error (APIError, APIConnectionTimeoutError) when the request fails
 */
export async function analyseCall(settings: Readonly<AiSettings>, apiKey: string, transcript: TranscriptEntry[], timeoutMs = 10_000): Promise<CallAnalysis | null> {
  if (!settings.analysisModel || !transcript.some((t) => t.role === 'caller')) return null;
  const client = new OpenAI({ apiKey, baseURL: settings.baseUrl, timeout: timeoutMs, maxRetries: 0 });
  const lines = transcript.map((t) => `${t.role === 'caller' ? 'Caller' : 'Agent'}: ${t.text}`).join('\n');
  const res = await client.chat.completions.create({
    model: settings.analysisModel,
    response_format: { type: 'json_object' },
    max_completion_tokens: 60,
    messages: [
      { role: 'system', content: PROMPT },
      { role: 'user', content: lines },
    ],
  });
  return parseAnalysis(res.choices[0]?.message.content);
}
