using AbandonedCart.Workflows;
using Temporalio.Workflows;
using ChannelNames = AbandonedCart.Workflows.Channels;

namespace AbandonedCart.Tests.Determinism;

/// <summary>A two-channel chain through one send activity, as the cart journey does it. Not registered with the gate.</summary>
[Workflow("SwappedChannels")]
public sealed class PushThenEmailWorkflow
{
    [WorkflowRun]
    public Task RunAsync(string customerId) => ChainWorkflow.RunChainAsync(customerId, [ChannelNames.MobilePush, ChannelNames.Email]);
}

/// <summary>The same workflow with the channel order swapped: same activity types and ids, different inputs.</summary>
[Workflow("SwappedChannels")]
public sealed class EmailThenPushWorkflow
{
    [WorkflowRun]
    public Task RunAsync(string customerId) => ChainWorkflow.RunChainAsync(customerId, [ChannelNames.Email, ChannelNames.MobilePush]);
}

internal static class ChainWorkflow
{
    public static async Task RunChainAsync(string customerId, IReadOnlyList<string> chain)
    {
        for (var i = 0; i < chain.Count; i++)
        {
            var request = new SendRequest
            {
                IdempotencyKey = $"{customerId}:{i + 1}",
                CustomerId = customerId,
                Journey = Journeys.AbandonedCart,
                Channel = chain[i],
                Step = i + 1,
                Items = [],
            };
            await Workflow.ExecuteActivityAsync((IJourneyActivities a) => a.SendMessageAsync(request), new() { StartToCloseTimeout = TimeSpan.FromMinutes(1) });
            await Workflow.DelayAsync(TimeSpan.FromHours(1));
        }
    }
}
