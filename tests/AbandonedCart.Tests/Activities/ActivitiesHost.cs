using AbandonedCart.Activities;
using AbandonedCart.Activities.Channels;
using AbandonedCart.Activities.Customers;
using AbandonedCart.Activities.Storage;
using AbandonedCart.Workflows;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Temporalio.Testing;

namespace AbandonedCart.Tests.Activities;

/// <summary>
/// The Worker's activity wiring (<c>AddJourneyActivities</c>) over a test database, with a settable clock and
/// optional provider senders, so tests exercise the same registrations the Worker uses.
/// </summary>
internal sealed class ActivitiesHost : IDisposable
{
    private readonly ServiceProvider services;
    private readonly IServiceScope scope;

    public ActivitiesHost(string connectionString, params IChannelSender[] providers)
        : this(connectionString, new Dictionary<string, string?>(), providers)
    {
    }

    /// <summary>With more configuration, e.g. the <c>Tracking</c> section.</summary>
    public ActivitiesHost(string connectionString, IReadOnlyDictionary<string, string?> settings, params IChannelSender[] providers)
        : this(connectionString, settings, null, providers)
    {
    }

    /// <summary>With an <see cref="ISendObserver"/> that sees each send right after its row was marked sent.</summary>
    public ActivitiesHost(string connectionString, ISendObserver observer, params IChannelSender[] providers)
        : this(connectionString, new Dictionary<string, string?>(), observer, providers)
    {
    }

    private ActivitiesHost(string connectionString, IReadOnlyDictionary<string, string?> settings, ISendObserver? observer, IChannelSender[] providers)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>(settings) { ["ConnectionStrings:Postgres"] = connectionString });
        builder.Services.AddSingleton<TimeProvider>(Clock);
        foreach (var provider in providers)
        {
            builder.Services.AddSingleton(provider);
        }

        if (observer is not null)
        {
            builder.Services.AddSingleton(observer);
        }

        builder.AddJourneyActivities();
        services = builder.Services.BuildServiceProvider();
        scope = services.CreateScope();
    }

    public ManualClock Clock { get; } = new(new DateTimeOffset(2026, 3, 2, 10, 0, 0, TimeSpan.Zero));

    public JourneyActivities Activities => scope.ServiceProvider.GetRequiredService<JourneyActivities>();

    public CustomerStore Customers => services.GetRequiredService<CustomerStore>();

    public JourneyStore JourneyStore => services.GetRequiredService<JourneyStore>();

    public MessageStore Messages => services.GetRequiredService<MessageStore>();

    public OutboxStore Outbox => services.GetRequiredService<OutboxStore>();

    /// <summary>Runs an activity method as Temporal would: inside an activity context.</summary>
    public static Task<T> RunAsync<T>(Func<Task<T>> activity) => new ActivityEnvironment().RunAsync(activity);

    public static Task RunAsync(Func<Task> activity) => new ActivityEnvironment().RunAsync(activity);

    /// <summary>A customer with every channel property and the given consents.</summary>
    public async Task<string> CustomerAsync(params string[] consents) =>
        await CustomerAsync(p => p, consents);

    public async Task<string> CustomerAsync(Func<CustomerProfile, CustomerProfile> shape, params string[] consents)
    {
        var profile = shape(new CustomerProfile
        {
            Id = $"c-{Guid.NewGuid():N}",
            Email = "ana@example.com",
            Phone = "+420601234567",
            TimeZone = "Europe/Prague",
            FcmToken = "fcm-token-123456",
            WebPush = new WebPushSubscription("https://push.example.com/sub/1", "p256dh-key", "auth-key"),
            LineUserId = "U123",
        });
        await Customers.UpsertAsync(profile);
        foreach (var consent in consents)
        {
            await Customers.SetConsentAsync(profile.Id, consent, granted: true, Clock.GetUtcNow());
        }

        return profile.Id;
    }

    public static SendRequest Send(string customerId, string channel, string? key = null, string journey = Journeys.AbandonedCart) => new()
    {
        IdempotencyKey = key ?? $"{AbandonedCartWorkflow.IdFor(customerId)}:{Guid.NewGuid():N}:{channel}",
        CustomerId = customerId,
        Journey = journey,
        Channel = channel,
        Step = 1,
        Items = [new CartItem { Sku = "A1", Name = "Lipstick", Price = 19.9m, Quantity = 2 }],
        CartValue = 39.8m,
    };

    public void Dispose()
    {
        scope.Dispose();
        services.Dispose();
    }
}

/// <summary>A clock the test moves by hand.</summary>
internal sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset now = start;

    public override DateTimeOffset GetUtcNow() => now;

    public void Advance(TimeSpan by) => now += by;
}

/// <summary>A provider sender that counts real sends; can fail its first attempts or take its time.</summary>
internal sealed class CountingSender(string channel, int failFirst = 0, TimeSpan delay = default) : IChannelSender
{
    private int attempts;
    private int sent;

    public string Channel => channel;

    public string Provider => "counting";

    public int Attempts => attempts;

    public int Sent => sent;

    public async Task<ProviderReceipt> SendAsync(OutboundMessage message, CancellationToken cancellationToken)
    {
        if (Interlocked.Increment(ref attempts) <= failFirst)
        {
            throw new HttpRequestException("provider unavailable");
        }

        if (delay > TimeSpan.Zero)
        {
            await Task.Delay(delay, cancellationToken);
        }

        return new ProviderReceipt(Provider, $"counting-{Interlocked.Increment(ref sent)}");
    }
}
