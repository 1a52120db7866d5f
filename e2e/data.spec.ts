// Tasks in the browser: a built-in task loads from the app with its card; a user's CSV is parsed in
// the worker with unusable rows reported by line; a broken file is refused with a message and the
// tasks already loaded stay usable.
import { expect, test } from '@playwright/test';

test('built-in and uploaded tasks, and a broken file that loses nothing', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByTestId('task-facts')).toContainText('2 labels'); // the toy task, loaded on start

  await page.getByLabel('Task').selectOption('spam');
  await expect(page.getByTestId('task-facts')).toContainText('classification · 2 labels');
  await expect(page.getByTestId('task-facts')).toContainText('train');

  const csv = 'sentence,label\r\n"a fine film, truly",pos\r\nawful,neg\r\n,pos\r\ngood,pos\r\nbad,neg\r\nnice,pos\r\nugly,neg\r\nsad,neg\r\nglad,pos\r\ndull,neg\r\n';
  await page.getByLabel('Data file').setInputFiles({ name: 'mine.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  await expect(page.getByTestId('task-skipped')).toContainText('line 4');
  await expect(page.getByLabel('Task')).toHaveValue('file:mine.csv');

  await page.getByLabel('Data file').setInputFiles({ name: 'empty.csv', mimeType: 'text/csv', buffer: Buffer.from('') });
  await expect(page.getByTestId('task-error')).toContainText('empty.csv');
  // Nothing was lost: the uploaded task and the built-in ones are still there.
  await expect(page.getByLabel('Task')).toHaveValue('file:mine.csv');
  await page.getByLabel('Task').selectOption('spam');
  await expect(page.getByTestId('task-facts')).toContainText('2 labels');
});
