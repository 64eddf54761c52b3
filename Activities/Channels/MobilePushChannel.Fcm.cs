using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using AbandonedCart.Activities.Customers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace AbandonedCart.Activities.Channels;

/// <summary><c>Providers:Fcm</c>: a service account with the Firebase Cloud Messaging API.</summary>
public sealed class FcmOptions : IProviderOptions
{
    public const string Section = "Providers:Fcm";

    /// <summary>The service-account key JSON itself (a secret), or set <see cref="ServiceAccountFile"/>.</summary>
    public string? ServiceAccountJson { get; set; }

    public string? ServiceAccountFile { get; set; }

    /// <summary>Defaults to the key's <c>project_id</c>.</summary>
    public string? ProjectId { get; set; }

    public int TtlSeconds { get; set; } = 3600;

    public string BaseUrl { get; set; } = "https://fcm.googleapis.com";

    public IEnumerable<string> Problems()
    {
        if (string.IsNullOrWhiteSpace(ServiceAccountJson) && !File.Exists(ServiceAccountFile))
        {
            yield return "ServiceAccountJson or an existing ServiceAccountFile is required";
        }

        if (!Uri.TryCreate(BaseUrl, UriKind.Absolute, out _))
        {
            yield return "BaseUrl must be an absolute URL";
        }
    }
}

/// <summary>FCM HTTP v1 <c>messages:send</c> for Android and iOS devices registered with Firebase.</summary>
public sealed class FcmPushSender(HttpClient http, IOptions<FcmOptions> options, [FromKeyedServices(FcmPushSender.Name)] GoogleServiceAccount account)
    : IPushTokenSender
{
    public const string Name = "fcm";
    public const string Scope = "https://www.googleapis.com/auth/firebase.messaging";

    public string Provider => Name;

    public string TokenProperty => "fcm_token";

    public string? TokenOf(CustomerProfile customer) => customer?.FcmToken;

    public async Task<ProviderReceipt> SendAsync(OutboundMessage message, string token, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var o = options.Value;
        var project = o.ProjectId ?? account.ProjectId ?? throw new InvalidOperationException("Providers:Fcm: no ProjectId.");
        var url = new Uri($"{o.BaseUrl.TrimEnd('/')}/v1/projects/{Uri.EscapeDataString(project)}/messages:send");
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = JsonContent.Create(Body(message, token, o.TtlSeconds)) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await account.AccessTokenAsync(Name, cancellationToken));
        using var response = await ProviderErrors.SendAsync(http, request, Name, cancellationToken, Classify, TokenProperty);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
        return new ProviderReceipt(Name, json.RootElement.TryGetProperty("name", out var name) ? name.GetString() : null);
    }

    private static Dictionary<string, object> Body(OutboundMessage message, string token, int ttlSeconds)
    {
        var title = MessageText.Title(message);
        var body = MessageText.Body(message);
        var image = MessageText.Image(message);
        var notification = new Dictionary<string, string> { ["title"] = title, ["body"] = body };
        if (image is not null)
        {
            notification["image"] = image;
        }

        // A retried send of this step collapses with the earlier copy: at FCM while undelivered (collapse_key), in the
        // Android drawer once shown (tag), and on iOS through APNs (apns-collapse-id).
        var collapseId = MessageText.CollapseId(message.IdempotencyKey);

        return new()
        {
            ["message"] = new Dictionary<string, object>
            {
                ["token"] = token,
                ["notification"] = notification,
                ["data"] = new Dictionary<string, string>
                {
                    ["message_id"] = message.MessageId.ToString(CultureInfo.InvariantCulture),
                    ["url"] = MessageText.Link(message) ?? string.Empty,
                },
                ["android"] = new Dictionary<string, object>
                {
                    ["priority"] = "high",
                    ["ttl"] = $"{ttlSeconds}s",
                    ["collapse_key"] = collapseId,
                    ["notification"] = new Dictionary<string, string> { ["tag"] = collapseId },
                },
                ["apns"] = new Dictionary<string, object>
                {
                    ["headers"] = new Dictionary<string, string>
                    {
                        ["apns-priority"] = "10",
                        ["apns-push-type"] = "alert",
                        ["apns-collapse-id"] = collapseId,
                        ["apns-expiration"] = DateTimeOffset.UtcNow.AddSeconds(ttlSeconds).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture),
                    },
                    ["payload"] = new Dictionary<string, object>
                    {
                        ["aps"] = new Dictionary<string, object> { ["sound"] = "default", ["mutable-content"] = 1 },
                    },
                    ["fcm_options"] = image is null ? new Dictionary<string, string>() : new Dictionary<string, string> { ["image"] = image },
                },
            },
        };
    }

    // FCM v1 errors: {"error":{"code":404,"status":"NOT_FOUND","message":"…","details":[{"@type":"…FcmError","errorCode":"UNREGISTERED"}]}}.
    private static string? Classify(int status, string body) => ProviderErrors.ReadJson(body, root =>
    {
        if (!root.TryGetProperty("error", out var error))
        {
            return null;
        }

        var codes = error.TryGetProperty("details", out var details) && details.ValueKind == JsonValueKind.Array
            ? details.EnumerateArray().Select(d => d.TryGetProperty("errorCode", out var c) ? c.GetString() : null).ToList()
            : [];
        if (error.TryGetProperty("status", out var s))
        {
            codes.Add(s.GetString());
        }

        var message = error.TryGetProperty("message", out var m) ? m.GetString() ?? string.Empty : string.Empty;
        var tokenGone = codes.Contains("UNREGISTERED") || codes.Contains("SENDER_ID_MISMATCH")
            || (codes.Contains("INVALID_ARGUMENT") && message.Contains("registration token", StringComparison.OrdinalIgnoreCase));
        return tokenGone ? ProviderErrors.TokenInvalid : null;
    });
}
