using AbandonedCart.Workflows;
using Temporalio.Client;
using Temporalio.Exceptions;

namespace AbandonedCart.Api.Signals;

/// <summary>Queries and ends journey runs through Temporal.</summary>
public sealed class TemporalJourneyRuns(ITemporalClient client) : IJourneyRuns
{
    public async Task<AbandonedCartWorkflow.JourneyStatus?> StatusAsync(string customerId, CancellationToken cancellationToken)
    {
        try
        {
            return await client.GetWorkflowHandle<AbandonedCartWorkflow>(AbandonedCartWorkflow.IdFor(customerId))
                .QueryAsync(wf => wf.Status, new() { Rpc = new() { CancellationToken = cancellationToken } });
        }
        catch (RpcException e) when (e.Code == RpcException.StatusCode.NotFound)
        {
            return null;
        }
        catch (InvalidOperationException e) when (!client.Connection.IsConnected)
        {
            throw Unreachable(e);
        }
    }

    public async Task<bool> EndAsync(string customerId, string reason, CancellationToken cancellationToken)
    {
        // Terminate rather than cancel: an erased customer's journey must not run any cleanup that sends or reads data.
        try
        {
            await client.GetWorkflowHandle(AbandonedCartWorkflow.IdFor(customerId))
                .TerminateAsync(reason, new() { Rpc = new() { CancellationToken = cancellationToken } });
            return true;
        }
        catch (RpcException e) when (e.Code == RpcException.StatusCode.NotFound)
        {
            return false;
        }
        catch (InvalidOperationException e) when (!client.Connection.IsConnected)
        {
            throw Unreachable(e);
        }
    }

    /// <summary>
    /// The Api's client connects lazily, and a first call that cannot connect throws InvalidOperationException rather
    /// than an RpcException: it is the same outage (Unavailable) to callers, who answer 503.
    /// </summary>
    private static RpcException Unreachable(InvalidOperationException e) =>
        new(RpcException.StatusCode.Unavailable, $"Temporal unreachable: {e.Message}", null);
}
