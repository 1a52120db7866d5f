// Choosing the task: a built-in one (toy, spam, genre, POS) or the user's own .tsv/.csv/.jsonl,
// parsed in the worker. Unusable rows are reported; ambiguous columns are asked for.
import { useState } from 'react';
import { useAppStore } from '../store';
import { BUILTIN_TASK_INFO, BUILTIN_TASKS } from '../../engine/catalog';
import type { TaskSummary } from '../../worker/protocol';

function TaskFacts({ task }: { task: TaskSummary }) {
  return (
    <div className="muted" data-testid="task-facts">
      {task.kind === 'token' ? 'tagging' : 'classification'} · {task.labels.length} labels · {task.sizes.train.toLocaleString('en-US')} train / {task.sizes.dev.toLocaleString('en-US')} dev / {task.sizes.test.toLocaleString('en-US')} test
      {task.skipped.count > 0 && <span data-testid="task-skipped"> · {task.skipped.count} rows skipped ({task.skipped.first.map((r) => `line ${r.line}: ${r.reason}`).join('; ')})</span>}
      {task.card && <details><summary>Task card</summary><p>{task.card.description}</p><p>Source: {task.card.source}. Licence: {task.card.licence}.</p><p>{task.card.pretrainingOverlap}</p></details>}
    </div>
  );
}

/** The picker; `value` is the task id in the run settings. */
export function TaskPicker({ value, onChange }: { value: string; onChange: (id: string) => void }) {
  const tasks = useAppStore((s) => s.tasks);
  const taskLoad = useAppStore((s) => s.taskLoad);
  const mapping = useAppStore((s) => s.mapping);
  const loadTask = useAppStore((s) => s.loadTask);
  const [columns, setColumns] = useState<{ text: string; label: string }>({ text: '', label: '' });
  const uploaded = tasks.filter((t) => t.id.startsWith('file:'));
  const current = tasks.find((t) => t.id === value);
  const choose = async (id: string) => {
    onChange(id);
    if (!tasks.some((t) => t.id === id)) await loadTask({ kind: 'builtin', name: id });
  };
  const upload = async (file: File | undefined) => {
    if (!file) return;
    const task = await loadTask({ kind: 'file', name: file.name, text: await file.text() });
    if (task) onChange(task.id);
  };
  return (
    <>
      <label>Task
        <select aria-label="Task" value={value} onChange={(e) => void choose(e.target.value)}>
          {BUILTIN_TASKS.map((id) => <option key={id} value={id}>{BUILTIN_TASK_INFO[id].title}</option>)}
          {uploaded.map((t) => <option key={t.id} value={t.id}>{t.name} (your file)</option>)}
        </select>
      </label>
      <label>Your data (.tsv, .csv, .jsonl)
        <input type="file" aria-label="Data file" accept=".tsv,.csv,.jsonl,.txt" onChange={(e) => { void upload(e.target.files?.[0]); e.target.value = ''; }} />
      </label>
      {taskLoad.state === 'busy' && <span className="muted">Loading task…</span>}
      {taskLoad.state === 'failed' && <p className="error" role="alert" data-testid="task-error">Could not use this data: {taskLoad.message}</p>}
      {mapping && (
        <div className="warning" data-testid="task-mapping">
          <p>{mapping.source.name}: {mapping.question.reason}. Which columns hold the text and the label?</p>
          <select aria-label="Text column" value={columns.text} onChange={(e) => setColumns({ ...columns, text: e.target.value })}><option value="">text…</option>{mapping.question.textCandidates.map((c) => <option key={c}>{c}</option>)}</select>{' '}
          <select aria-label="Label column" value={columns.label} onChange={(e) => setColumns({ ...columns, label: e.target.value })}><option value="">label…</option>{mapping.question.labelCandidates.map((c) => <option key={c}>{c}</option>)}</select>{' '}
          <button type="button" disabled={!columns.text || !columns.label} onClick={() => void loadTask({ ...mapping.source, columns: { textColumn: columns.text, labelColumn: columns.label, text2Column: null } }).then((t) => t && onChange(t.id))}>Use these columns</button>
        </div>
      )}
      {current && <TaskFacts task={current} />}
    </>
  );
}
