// The page's state: the CONFIG and the last frame the server sent, the data points it keeps, and
// the one way to change anything (a command to the server, whose reply brings the new state).

import { ApiError, type Reply, command, upload } from "./api";
import { floats } from "./colors";
import { toHash } from "./hash";
import type { Choices, Config, Frame, PointSet, Points } from "./types";

export const store = {
  config: {} as Config,
  choices: {} as Choices,
  featureMaps: {} as Record<string, string>,
  frame: null as Frame | null,
  train: null as Points | null,
  test: null as Points | null,
  dataVersion: -1,
  /** What a click on the output adds: a class index, or a target value for regression. */
  addLabel: 1,
  addValue: 0.5,
  /** The training point the explain panel derives (ringed on the output), or null. */
  explained: null as number | null,
};

type Listener = () => void;
const configListeners: Listener[] = [];
const frameListeners: Listener[] = [];
const errorListeners: ((message: string) => void)[] = [];

export const onConfig = (listener: Listener) => configListeners.push(listener);
export const onFrame = (listener: Listener) => frameListeners.push(listener);
export const onError = (listener: (message: string) => void) => errorListeners.push(listener);

/** Show a refusal's one line, and draw the controls again from the CONFIG that still runs. */
export function showError(message: string): void {
  for (const listener of errorListeners) listener(message);
  for (const listener of configListeners) listener();
}

function decode(set: PointSet): Points {
  return { x: floats(set.x), y: floats(set.y), label: floats(set.label) };
}

export function setConfig(config: Config): void {
  const changed = JSON.stringify(config) !== JSON.stringify(store.config);
  store.config = config;
  history.replaceState(null, "", toHash(config));
  if (changed) for (const listener of configListeners) listener();
}

export function setFrame(frame: Frame, notify = true): void {
  if (frame.points) {
    store.train = decode(frame.points.train);
    store.test = decode(frame.points.test);
    store.dataVersion = frame.data_version ?? store.dataVersion + 1;
  }
  store.frame = frame;
  if (notify) for (const listener of frameListeners) listener();
}

function apply(reply: Reply): Reply {
  setFrame(reply.frame, false); // the views drawn for the new CONFIG see its frame
  setConfig(reply.config);
  for (const listener of frameListeners) listener();
  return reply;
}

/** Send one command; a refusal shows its one line and leaves the page as it was. */
export async function send(op: string, args: Record<string, unknown> = {}): Promise<Reply | null> {
  try {
    return apply(await command(op, args));
  } catch (error) {
    showError(error instanceof ApiError ? error.message : `cannot reach the playground server (${error})`);
    return null;
  }
}

export function configure(changes: Partial<Config>): Promise<Reply | null> {
  return send("configure", { changes });
}

export async function sendCsv(csv: string): Promise<Reply | null> {
  try {
    return apply(await upload(csv));
  } catch (error) {
    showError(error instanceof ApiError ? error.message : `cannot reach the playground server (${error})`);
    return null;
  }
}
