namespace AbandonedCart.TemporalStandIn;

/// <summary>
/// Matching: tasks wait in a queue until a poller takes them; pollers wait (long poll) until a task arrives, their
/// call is cancelled, their worker shuts down, or the poll times out with an empty answer as Temporal's does.
/// Callers hold the service lock; pollers are completed asynchronously.
/// </summary>
internal sealed class TaskQueues
{
    private readonly Dictionary<string, Queue<object>> tasks = [];
    private readonly Dictionary<string, LinkedList<Poller>> pollers = [];

    public static string Key(string ns, string kind, string queue) => $"{ns}\n{kind}\n{queue}";

    /// <summary>Gives the task to a waiting poller, or queues it.</summary>
    public void Add(string key, object task)
    {
        if (pollers.TryGetValue(key, out var waiting))
        {
            while (waiting.First is { } first)
            {
                waiting.RemoveFirst();
                if (first.Value.Result.TrySetResult(task))
                {
                    return;
                }
            }
        }

        if (!tasks.TryGetValue(key, out var queue))
        {
            tasks[key] = queue = new();
        }

        queue.Enqueue(task);
    }

    /// <summary>A queued task at once, or a waiting poller whose task completes later (null on timeout or shutdown).</summary>
    public Task<object?> Take(string key, string identity)
    {
        if (tasks.TryGetValue(key, out var queue) && queue.TryDequeue(out var task))
        {
            return Task.FromResult<object?>(task);
        }

        if (!pollers.TryGetValue(key, out var waiting))
        {
            pollers[key] = waiting = new();
        }

        var poller = new Poller(identity, new(TaskCreationOptions.RunContinuationsAsynchronously));
        var node = waiting.AddLast(poller);
        poller.Node = node;
        return poller.Result.Task;
    }

    /// <summary>Forgets a poller that gave up (its task, if one was handed over meanwhile, goes back to the queue front).</summary>
    public void Abandon(string key, Task<object?> poll)
    {
        if (pollers.TryGetValue(key, out var waiting))
        {
            for (var node = waiting.First; node is not null; node = node.Next)
            {
                if (node.Value.Result.Task == poll)
                {
                    waiting.Remove(node);
                    node.Value.Result.TrySetResult(null);
                    return;
                }
            }
        }
    }

    /// <summary>Answers every waiting poll of a worker that is shutting down with an empty task.</summary>
    public void ReleaseIdentity(string identity)
    {
        foreach (var waiting in pollers.Values)
        {
            for (var node = waiting.First; node is not null;)
            {
                var next = node.Next;
                if (node.Value.Identity == identity)
                {
                    waiting.Remove(node);
                    node.Value.Result.TrySetResult(null);
                }

                node = next;
            }
        }
    }

    public void ReleaseQueue(string key)
    {
        if (pollers.Remove(key, out var waiting))
        {
            foreach (var poller in waiting)
            {
                poller.Result.TrySetResult(null);
            }
        }
    }

    public void ReleaseAll()
    {
        foreach (var key in pollers.Keys.ToList())
        {
            ReleaseQueue(key);
        }
    }

    private sealed class Poller(string identity, TaskCompletionSource<object?> result)
    {
        public string Identity { get; } = identity;

        public TaskCompletionSource<object?> Result { get; } = result;

        public LinkedListNode<Poller>? Node { get; set; }
    }
}
