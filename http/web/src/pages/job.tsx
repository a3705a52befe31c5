// pages/job.tsx: one job's task layers, updated live from the events stream (no polling); a
// failed task shows its error and the job a retry button.
import { useEffect, useState } from 'preact/hooks'
import { api, subscribe, type Job, type Task } from '../api'
import { navigate } from '../router'
import { ErrorBox, Loaded, Status, time, useLoad } from '../ui'

export function JobPage({ params }: { params: Record<string, string> }) {
  const job = useLoad(() => api.job(params.id), [params.id])
  const [tasks, setTasks] = useState<Map<string, Task>>(new Map())
  const [live, setLive] = useState(false)
  const [err, setErr] = useState<unknown>(null)
  const clusterID = job.data?.cluster_id
  useEffect(() => {
    if (!clusterID) return
    // Subscribe first, then read the job and its tasks once the stream is connected, so no
    // change is missed; what the stream has already said wins over a read that started earlier.
    let jobEvents = 0
    const stop = subscribe(clusterID, e => {
      if (e.type === 'task') {
        const t = e.data as Task
        if (t.job_id === params.id) setTasks(m => new Map(m).set(t.id, t))
      } else if (e.type === 'job') {
        const j = e.data as Job
        if (j.id === params.id) { jobEvents++; job.set(j) }
      }
    }, l => {
      setLive(l)
      if (!l) return
      const seen = jobEvents
      api.job(params.id).then(j => { if (jobEvents === seen) job.set(j) }, setErr)
      api.tasks(params.id).then(p => setTasks(m => {
        const n = new Map(m)
        for (const t of p.items) if (!n.has(t.id)) n.set(t.id, t)
        return n
      }), setErr)
    })
    return stop
  }, [clusterID, params.id])
  const layers = new Map<number, Task[]>()
  for (const t of [...tasks.values()].sort((a, b) => a.layer - b.layer || a.seq - b.seq)) {
    if (!layers.has(t.layer)) layers.set(t.layer, [])
    layers.get(t.layer)!.push(t)
  }
  const retry = () => api.retryJob(params.id).then(a => navigate('/ui/jobs/' + encodeURIComponent(a.job_id)), setErr)
  return (
    <Loaded s={job}>{j => (
      <section class="job">
        <h1>Job {j.action} <Status s={j.status} /></h1>
        <p class="muted">{j.id} · cluster <a href={'/ui/clusters/' + encodeURIComponent(j.cluster_id)}>{j.cluster_id}</a> · started {time(j.started_at)} · finished {time(j.finished_at)} · <span class={live ? 'live on' : 'live'}>{live ? 'live' : 'connecting…'}</span></p>
        <div class="progress" role="progressbar" aria-label="Tasks done" aria-valuemin={0} aria-valuemax={j.tasks_total} aria-valuenow={j.tasks_done}>
          <span style={{ width: (j.tasks_total ? (100 * j.tasks_done) / j.tasks_total : 0) + '%' }} />
        </div>
        <p data-testid="job-progress">{j.tasks_done} of {j.tasks_total} tasks done</p>
        {j.error && <p class="error" role="alert">{j.error}</p>}
        {j.status === 'failed' && <button type="button" class="primary" onClick={retry}>Retry failed tasks</button>}
        <ErrorBox error={err} />
        <ol class="layers" aria-label="Task layers">
          {[...layers.entries()].map(([n, ts]) => (
            <li key={n} class="layer">
              <h2 class="small">Layer {n}</h2>
              <ul>
                {ts.map(t => (
                  <li key={t.id} class={'task s-' + t.status} data-status={t.status}>
                    <Status s={t.status} /> <b>{t.action}</b> {t.target} {t.node_id && <span class="muted">{t.node_id}</span>}
                    {t.attempts > 1 && <span class="muted"> · attempt {t.attempts}</span>}
                    {t.error && <pre class="task-error">{t.error}</pre>}
                  </li>))}
              </ul>
            </li>))}
        </ol>
      </section>)}
    </Loaded>
  )
}
