// One closeness check for the numerical tests: |got − want| ≤ relative·|want| + floor·max|want| everywhere
// (the floor covers entries that cancel to near 0), with the length checked first.
import { expect } from 'vitest';

export function expectClose(got: ArrayLike<number> | undefined, want: ArrayLike<number> | undefined, relative: number, floor: number, what: string): void {
  expect(got, what).toBeDefined();
  expect(want, what).toBeDefined();
  expect(got!.length, what).toBe(want!.length);
  let scale = 0;
  for (let i = 0; i < want!.length; i++) scale = Math.max(scale, Math.abs(want![i]!));
  let worst = 0;
  for (let i = 0; i < want!.length; i++) worst = Math.max(worst, Math.abs(got![i]! - want![i]!) - relative * Math.abs(want![i]!));
  expect(worst, what).toBeLessThanOrEqual(floor * scale);
}
