using Temporalio.Workflows;

namespace AbandonedCart.Tests.Engine;

/// <summary>Counts signals until told to stop, continuing as new past a history length: the shape of a cart storm.</summary>
[Workflow("Storm")]
public sealed class StormWorkflow
{
    private readonly Queue<int> pending = new();
    private bool stop;

    public sealed record Input(int Seen, int HistoryLimit);

    [WorkflowRun]
    public async Task<int> RunAsync(Input input)
    {
        var seen = input.Seen;
        while (true)
        {
            await Workflow.WaitConditionAsync(() => pending.Count > 0 || stop);
            while (pending.TryDequeue(out _))
            {
                seen++;
            }

            if (stop)
            {
                return seen;
            }

            if (Workflow.CurrentHistoryLength > input.HistoryLimit || Workflow.ContinueAsNewSuggested)
            {
                var next = input with { Seen = seen };
                throw Workflow.CreateContinueAsNewException((StormWorkflow wf) => wf.RunAsync(next));
            }
        }
    }

    [WorkflowSignal]
    public Task BumpAsync(int n)
    {
        pending.Enqueue(n);
        return Task.CompletedTask;
    }

    [WorkflowSignal]
    public Task StopAsync()
    {
        stop = true;
        return Task.CompletedTask;
    }
}
