using AbandonedCart.Activities.Channels;
using Microsoft.Extensions.Options;

namespace AbandonedCart.Api.Webhooks;

/// <summary>
/// The provider webhook keys: <c>Providers:SendGrid:WebhookVerificationKey</c>, <c>Providers:Twilio:AuthToken</c>,
/// and the public base URL Twilio signs (<c>Webhooks:PublicBaseUrl</c>, else <c>Tracking:BaseUrl</c>). A provider
/// without its key has no webhook endpoint (404); a malformed key fails the Api at start
/// (<see cref="ProviderWebhookKeysValidator"/>), not at the first webhook.
/// </summary>
public sealed class WebhookVerifiers(IOptions<ProviderWebhookKeys> options) : IDisposable
{
    public SendGridEventWebhookVerifier? SendGrid { get; } =
        options.Value.SendGridVerificationKey is { Length: > 0 } key ? new(key.Trim()) : null;

    public TwilioSignatureVerifier? Twilio { get; } =
        options.Value.TwilioAuthToken is { Length: > 0 } token ? new(token) : null;

    public string PublicBaseUrl { get; } = options.Value.PublicBaseUrl;

    public void Dispose() => SendGrid?.Dispose();
}

/// <summary>What <see cref="WebhookVerifiers"/> is built from, read from the provider sections the Worker shares.</summary>
public sealed class ProviderWebhookKeys
{
    public const string SendGridKey = $"{SendGridOptions.Section}:WebhookVerificationKey";
    public const string TwilioKey = $"{TwilioOptions.Section}:AuthToken";

    /// <summary>A public key, not a secret; null or empty: no SendGrid endpoint.</summary>
    public string? SendGridVerificationKey { get; set; }

    /// <summary>A secret (configuration or environment only, never logged); null or empty: no Twilio endpoints.</summary>
    public string? TwilioAuthToken { get; set; }

    public string PublicBaseUrl { get; set; } = string.Empty;

    /// <summary>Binds the options from their established configuration keys and validates them when the Api starts.</summary>
    public static void Register(IServiceCollection services)
    {
        services.AddOptions<ProviderWebhookKeys>()
            .Configure<IConfiguration>((keys, configuration) =>
            {
                keys.SendGridVerificationKey = configuration[SendGridKey];
                keys.TwilioAuthToken = configuration[TwilioKey];
                keys.PublicBaseUrl = (configuration["Webhooks:PublicBaseUrl"] ?? configuration["Tracking:BaseUrl"] ?? string.Empty).TrimEnd('/');
            })
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<ProviderWebhookKeys>, ProviderWebhookKeysValidator>();
    }
}

/// <summary>Fails the start on a malformed webhook key, naming the configuration key and never the value.</summary>
public sealed class ProviderWebhookKeysValidator : IValidateOptions<ProviderWebhookKeys>
{
    public ValidateOptionsResult Validate(string? name, ProviderWebhookKeys options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = new List<string>();
        if (!string.IsNullOrEmpty(options.SendGridVerificationKey) && !SendGridEventWebhookVerifier.IsValidKey(options.SendGridVerificationKey))
        {
            problems.Add($"{ProviderWebhookKeys.SendGridKey} must be {SendGridEventWebhookVerifier.KeyFormat}.");
        }

        if (!string.IsNullOrEmpty(options.TwilioAuthToken) && !TwilioSignatureVerifier.IsValidAuthToken(options.TwilioAuthToken))
        {
            problems.Add($"{ProviderWebhookKeys.TwilioKey} must be {TwilioSignatureVerifier.AuthTokenFormat}.");
        }

        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
