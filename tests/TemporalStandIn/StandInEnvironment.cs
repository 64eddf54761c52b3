using Google.Protobuf.WellKnownTypes;
using Temporalio.Api.TestService.V1;
using Temporalio.Client;
using Temporalio.Client.Interceptors;
using Temporalio.Testing;

namespace AbandonedCart.TemporalStandIn;

/// <summary>
/// A time-skipping <see cref="WorkflowEnvironment"/> on the in-process stand-in: <c>DelayAsync</c> unlocks time
/// skipping and sleeps on the server's clock, and waiting for a workflow's result unlocks it meanwhile, as the SDK's
/// environment on the real test server does.
/// </summary>
public sealed class StandInEnvironment : WorkflowEnvironment
{
    private readonly StandInServer server;

    private StandInEnvironment(ITemporalClient client, StandInServer server)
        : base(client) => this.server = server;

    public StandInServer Server => server;

    public override bool SupportsTimeSkipping => true;

    public static async Task<StandInEnvironment> StartAsync(StandInOptions? options = null)
    {
        var server = await StandInServer.StartAsync(options);
        try
        {
            var holder = new AutoSkip();
            var client = await TemporalClient.ConnectAsync(new(server.Target)
            {
                Namespace = server.Engine.Options.Namespace,
                Interceptors = [holder],
            });
            var environment = new StandInEnvironment(client, server);
            holder.Connection = client.Connection;
            return environment;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    public override Task DelayAsync(TimeSpan delay, CancellationToken? cancellationToken = null) =>
        Client.Connection.TestService.UnlockTimeSkippingWithSleepAsync(
            new SleepRequest { Duration = Duration.FromTimeSpan(delay) },
            new RpcOptions { CancellationToken = cancellationToken });

    public override async Task<DateTime> GetCurrentTimeAsync() =>
        (await Client.Connection.TestService.GetCurrentTimeAsync(new Empty())).Time.ToDateTime();

    public override Task ShutdownAsync() => server.DisposeAsync().AsTask();

    /// <summary>Unlocks time skipping while the client waits for a workflow to close.</summary>
    private sealed class AutoSkip : IClientInterceptor
    {
        public ITemporalConnection? Connection { get; set; }

        public ClientOutboundInterceptor InterceptClient(ClientOutboundInterceptor nextInterceptor) => new Outbound(this, nextInterceptor);

        private sealed class Outbound(AutoSkip owner, ClientOutboundInterceptor next) : ClientOutboundInterceptor(next)
        {
            public override async Task<WorkflowHistoryEventPage> FetchWorkflowHistoryEventPageAsync(FetchWorkflowHistoryEventPageInput input)
            {
                if (!input.WaitNewEvent || owner.Connection is not { } connection)
                {
                    return await base.FetchWorkflowHistoryEventPageAsync(input);
                }

                await connection.TestService.UnlockTimeSkippingAsync(new UnlockTimeSkippingRequest());
                try
                {
                    return await base.FetchWorkflowHistoryEventPageAsync(input);
                }
                finally
                {
                    await connection.TestService.LockTimeSkippingAsync(new LockTimeSkippingRequest());
                }
            }
        }
    }
}
