// A Server-Sent Events reader over fetch's body stream: yields each event's JSON data, and the
// stream's comments (the coordinator sends ": replay done" once it has replayed the history).
export type SseItem =
  { kind: "event"; type: string; data: unknown } | { kind: "comment"; text: string };

export async function* readSse(body: ReadableStream<Uint8Array>): AsyncGenerator<SseItem> {
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const frame = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      yield* parseFrame(frame);
    }
  }
}

function* parseFrame(frame: string): Generator<SseItem> {
  let type = "message";
  const data: string[] = [];
  for (const line of frame.split("\n")) {
    if (line.startsWith(":")) yield { kind: "comment", text: line.slice(1).trim() };
    else if (line.startsWith("event:")) type = line.slice(6).trim();
    else if (line.startsWith("data:")) data.push(line.slice(5).trimStart());
  }
  if (data.length === 0) return;
  try {
    yield { kind: "event", type, data: JSON.parse(data.join("\n")) };
  } catch {
    /* a frame that is not JSON is skipped */
  }
}
