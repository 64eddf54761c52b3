using AbandonedCart.Activities;
using AbandonedCart.Activities.Channels;
using AbandonedCart.Tests.Infrastructure;
using AbandonedCart.Worker;
using AbandonedCart.Workflows;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Temporalio.Extensions.Hosting;

namespace AbandonedCart.Tests.Hosting;

using ChannelNames = AbandonedCart.Workflows.Channels;

public sealed class WorkerServicesTests(PostgresDatabase db) : IClassFixture<PostgresDatabase>
{
    [Fact]
    public void AddWorkerServices_Configured_RegistersJourneyActivitiesWorkflowAndClientFromConfiguration()
    {
        using var host = Build(new()
        {
            ["ConnectionStrings:Postgres"] = db.ConnectionString,
            ["Temporal:Address"] = "temporal.internal:7233",
            ["Temporal:Namespace"] = "shop",
            ["Temporal:TaskQueue"] = "carts",
        });

        var worker = host.Services.GetRequiredService<IOptionsMonitor<TemporalWorkerServiceOptions>>().Get("carts");

        Assert.Equal(("carts", "temporal.internal:7233", "shop"), (worker.TaskQueue, worker.ClientOptions!.TargetHost, worker.ClientOptions.Namespace));
        Assert.Contains(worker.Workflows, w => w.Type == typeof(AbandonedCartWorkflow));
        var activityNames = worker.Activities.Select(a => a.Name).ToHashSet();
        Assert.Superset(
            new HashSet<string?> { "GetSendContext", "SendMessage", "RecordEntry", "RecordOutcome", "RecordDecision", "AddToAudiences", "RemoveFromAudiences" },
            activityNames);
    }

    [Fact]
    public void AddWorkerServices_Production_RegistersNoSendObserverAndStillResolvesJourneyActivities()
    {
        using var host = Build(new() { ["ConnectionStrings:Postgres"] = db.ConnectionString });
        using var scope = host.Services.CreateScope();

        Assert.Null(host.Services.GetService<ISendObserver>());
        Assert.NotNull(scope.ServiceProvider.GetRequiredService<JourneyActivities>());
    }

    [Fact]
    public async Task StartAsync_NoConnectionString_FailsNamingTheKeyBeforeAnyWork()
    {
        using var host = Build(new() { ["ConnectionStrings:Postgres"] = string.Empty });

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("ConnectionStrings:Postgres", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TemporalOptions_NothingConfigured_DefaultsToLocalServer()
    {
        using var host = Build(new() { ["ConnectionStrings:Postgres"] = db.ConnectionString });

        var options = host.Services.GetRequiredService<IOptions<TemporalOptions>>().Value;

        Assert.Equal(("localhost:7233", "default", AbandonedCartWorkflow.TaskQueue), (options.Address, options.Namespace, options.TaskQueue));
    }

    [Fact]
    public void AddWorkerServices_LineConfigured_LineSendsThroughLineOtherChannelsThroughOutbox()
    {
        using var host = Build(new() { ["ConnectionStrings:Postgres"] = db.ConnectionString, ["Providers:Line:ChannelAccessToken"] = "line-token" });

        var senders = host.Services.GetRequiredService<ChannelSenders>();

        Assert.IsType<LinePushSender>(senders.For(ChannelNames.Line));
        Assert.IsType<OutboxSender>(senders.For(ChannelNames.Email));
    }

    [Fact]
    public void AddWorkerServices_NoProviderConfigured_LineSendsThroughOutbox()
    {
        using var host = Build(new() { ["ConnectionStrings:Postgres"] = db.ConnectionString });

        Assert.IsType<OutboxSender>(host.Services.GetRequiredService<ChannelSenders>().For(ChannelNames.Line));
    }

    [Fact]
    public async Task StartAsync_TrackingSecretTooShort_FailsNamingTheKey()
    {
        using var host = Build(new()
        {
            ["ConnectionStrings:Postgres"] = db.ConnectionString, ["Tracking:SigningSecret"] = "short", ["Tracking:BaseUrl"] = "https://cart.example",
        });

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("Tracking: SigningSecret", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAsync_ProductionWithoutProvidersOrOutboxSetting_FailsNamingProvidersOutbox()
    {
        using var host = Build(new() { ["ConnectionStrings:Postgres"] = db.ConnectionString }, outbox: false);

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains(OutboxPolicy.ConfigKey, error.Message, StringComparison.Ordinal);
        Assert.Contains("line (Providers:Line)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void OutboxPolicy_ProductionWithProvidersOutboxTrue_IsValid()
    {
        using var host = Build(new() { ["ConnectionStrings:Postgres"] = db.ConnectionString });

        var policy = host.Services.GetRequiredService<IOptions<OutboxPolicy>>().Value;

        Assert.Equal((true, false), (policy.Outbox, policy.Development));
    }

    /// <summary>A production host (no environment set); <paramref name="outbox"/> sets <c>Providers:Outbox=true</c>.</summary>
    private static IHost Build(Dictionary<string, string?> settings, bool outbox = true)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        if (outbox)
        {
            settings.TryAdd(OutboxPolicy.ConfigKey, "true");
        }

        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddWorkerServices();
        return builder.Build();
    }
}
