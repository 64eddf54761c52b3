using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace AbandonedCart.Activities.Channels;

/// <summary>
/// Whether channels without a provider may "send" into the development outbox table. In Development they always may;
/// elsewhere only with <c>Providers:Outbox=true</c>, so a production host with a forgotten provider section refuses to
/// start instead of quietly recording messages nobody receives.
/// </summary>
public sealed class OutboxPolicy
{
    public const string ConfigKey = "Providers:Outbox";

    /// <summary>Each channel (or audience) and the provider sections any one of which serves it.</summary>
    public static readonly IReadOnlyList<(string Channel, string[] Sections)> Providers =
    [
        (Workflows.Channels.Email, [SendGridOptions.Section]),
        (Workflows.Channels.Sms, [TwilioOptions.Section]),
        (Workflows.Channels.MobilePush, [FcmOptions.Section, ApnsOptions.Section, HuaweiOptions.Section]),
        (Workflows.Channels.WebPush, [WebPushOptions.Section]),
        (Workflows.Channels.Line, [LineOptions.Section]),
        ("google audience", [GoogleAudienceOptions.Section]),
        ("meta audience", [MetaOptions.Section]),
    ];

    public bool Outbox { get; set; }

    public bool Development { get; set; }

    /// <summary>Channels with no provider section configured, each with the sections that would serve it.</summary>
    public IReadOnlyList<string> Unserved { get; set; } = [];

    /// <summary>The channels of <see cref="Providers"/> whose sections are all absent from <paramref name="configuration"/>.</summary>
    public static IReadOnlyList<string> UnservedIn(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return
        [
            .. Providers.Where(p => !p.Sections.Any(s => configuration.GetSection(s).Exists()))
                .Select(p => $"{p.Channel} ({string.Join(" or ", p.Sections)})"),
        ];
    }
}

/// <summary>Registers <see cref="OutboxPolicy"/>, checked when the host starts (the Worker and the Api alike).</summary>
public static class OutboxPolicyExtensions
{
    public static IHostApplicationBuilder AddOutboxPolicy(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var development = builder.Environment.IsDevelopment();
        builder.Services.AddOptions<OutboxPolicy>()
            .Configure<IConfiguration>((policy, configuration) =>
            {
                policy.Outbox = configuration.GetValue<bool>(OutboxPolicy.ConfigKey);
                policy.Development = development;
                policy.Unserved = OutboxPolicy.UnservedIn(configuration);
            })
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<OutboxPolicy>, OutboxPolicyValidator>();
        return builder;
    }

    private sealed class OutboxPolicyValidator : IValidateOptions<OutboxPolicy>
    {
        public ValidateOptionsResult Validate(string? name, OutboxPolicy options) =>
            options.Development || options.Outbox || options.Unserved.Count == 0
                ? ValidateOptionsResult.Success
                : ValidateOptionsResult.Fail(
                    $"No provider is configured for: {string.Join(", ", options.Unserved)}. Outside the Development environment "
                    + $"configure those providers, or set {OutboxPolicy.ConfigKey}=true (env Providers__Outbox) to record their messages "
                    + "in the development outbox table instead of sending them.");
    }
}
