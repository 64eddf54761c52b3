using System.Linq.Expressions;
using AbandonedCart.Workflows;
using Temporalio.Api.Enums.V1;
using Temporalio.Client;
using Temporalio.Common;
using Temporalio.Exceptions;

namespace AbandonedCart.Api.Signals;

/// <summary>Delivers journey signals through Temporal.</summary>
public sealed class TemporalJourneySignals(ITemporalClient client) : IJourneySignals
{
    public async Task SignalWithStartAsync(CartSignal signal, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(signal);
        var options = new WorkflowOptions(signal.WorkflowId, signal.TaskQueue)
        {
            // One journey per customer: a running journey receives the update instead of a second run starting.
            IdConflictPolicy = WorkflowIdConflictPolicy.UseExisting,
            StaticSummary = signal.Summary,
            TypedSearchAttributes = new SearchAttributeCollection.Builder()
                .Set(SearchAttributes.CustomerId, signal.Input.CustomerId)
                .Set(SearchAttributes.Journey, signal.Journey)
                .Set(SearchAttributes.CartValue, (double)signal.Update.TotalValue)
                .ToSearchAttributeCollection(),
            Rpc = new() { CancellationToken = cancellationToken },
        };
        var update = signal.Update;
        options.SignalWithStart((AbandonedCartWorkflow wf) => wf.CartUpdatedAsync(update));
        await client.StartWorkflowAsync((AbandonedCartWorkflow wf) => wf.RunAsync(signal.Input), options);
    }

    public Task<bool> SignalAsync(PurchaseSignal signal, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(signal);
        var purchase = signal.Purchase;
        return SignalRunningAsync(signal.WorkflowId, wf => wf.PurchaseCompletedAsync(purchase), cancellationToken);
    }

    public Task<bool> EngagedAsync(EngagementSignal signal, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(signal);
        var engagement = signal.Engagement;
        return SignalRunningAsync(signal.WorkflowId, wf => wf.EngagedAsync(engagement), cancellationToken);
    }

    private async Task<bool> SignalRunningAsync(
        string workflowId, Expression<Func<AbandonedCartWorkflow, Task>> signal, CancellationToken cancellationToken)
    {
        try
        {
            await client.GetWorkflowHandle<AbandonedCartWorkflow>(workflowId)
                .SignalAsync(signal, new() { Rpc = new() { CancellationToken = cancellationToken } });
            return true;
        }
        catch (RpcException e) when (e.Code == RpcException.StatusCode.NotFound)
        {
            // No journey runs (never started, or already ended): what happened is stored, there is nothing to tell.
            return false;
        }
    }
}
