// A small built-in sentiment task generated from templates, so that the trainer, the CLI and the
// tests have real text to learn from before the corpus tasks exist. Deterministic from its seed.
import { createRng } from '../random';
import type { SentenceExample, SequenceTask } from './task';

const POSITIVE = ['good', 'great', 'fine', 'happy', 'pleasant', 'beautiful', 'wonderful', 'nice', 'excellent', 'better'];
const NEGATIVE = ['bad', 'poor', 'sad', 'terrible', 'ugly', 'awful', 'worse', 'dull', 'wrong', 'weak'];
const SUBJECTS = ['the film', 'the book', 'this house', 'the dinner', 'our trip', 'the music', 'his work', 'the weather', 'her story', 'the game'];
const TEMPLATES = ['{s} was {a}.', 'i think {s} is {a}.', '{s} seemed {a} to me.', 'everyone said {s} was {a}.', 'in the end {s} felt {a}.'];

function make(rng: () => number, count: number): SentenceExample[] {
  const pick = <T>(list: readonly T[]) => list[Math.floor(rng() * list.length)]!;
  return Array.from({ length: count }, () => {
    const label = rng() < 0.5 ? 0 : 1;
    const text = pick(TEMPLATES).replace('{s}', pick(SUBJECTS)).replace('{a}', pick(label === 1 ? POSITIVE : NEGATIVE));
    return { text, text2: null, label };
  });
}

/** The toy task: `train`/`dev`/`test` sizes are configurable; labels negative (0) and positive (1). */
export function toyTask(seed = 1, sizes = { train: 256, dev: 64, test: 64 }): SequenceTask {
  const rng = createRng(seed);
  return { name: 'toy-sentiment', kind: 'sequence', labels: ['negative', 'positive'], train: make(rng, sizes.train), dev: make(rng, sizes.dev), test: make(rng, sizes.test) };
}
