//! Made-up shows for the timeline's and the PNG's unit tests.

use std::time::{Duration, SystemTime};

use scpanel_core::journal::{
    Event, EventRow, Sample, SampleRow, ServerId, ServerRow, ShowInfo, Summary,
};

pub(crate) const START: u64 = 1_765_051_200; // 2025-12-06 20:00:00 UTC

pub(crate) fn info(names: &[&str], seconds: u64) -> ShowInfo {
    let started = SystemTime::UNIX_EPOCH + Duration::from_secs(START);
    ShowInfo {
        id: "0123456789abcdef".into(),
        path: "show.sqlite".into(),
        started,
        ended: Some(started + Duration::from_secs(seconds)),
        last: started + Duration::from_secs(seconds),
        app_version: "0".into(),
        host: "h".into(),
        servers: names
            .iter()
            .enumerate()
            .map(|(i, n)| ServerRow {
                id: ServerId(i as u32),
                address: format!("127.0.0.1:{}", 57110 + i),
                name: (*n).to_string(),
                protocol: "udp".into(),
                owned: true,
                added: started,
            })
            .collect(),
        peak_cpu: None,
        xruns: 0,
        crashes: 0,
        samples: 0,
        events: 0,
        packets: 0,
        bytes: 0,
        live: false,
    }
}

pub(crate) fn empty_summary() -> Summary {
    Summary {
        peak: None,
        xruns: 0,
        lates: 0,
        failures: 0,
        marks: 0,
        crashes: Vec::new(),
        longest_unresponsive: None,
    }
}

pub(crate) fn at(info: &ShowInfo, t: f64) -> SystemTime {
    info.started + Duration::from_secs_f64(t)
}

pub(crate) fn sample(info: &ShowInfo, server: u32, t: f64, average: f32, peak: f32) -> SampleRow {
    SampleRow {
        time: at(info, t),
        server: ServerId(server),
        sample: Sample {
            average_cpu: average,
            peak_cpu: peak,
            ..Sample::default()
        },
    }
}

pub(crate) fn event(info: &ShowInfo, t: f64, server: Option<u32>, event: Event) -> EventRow {
    EventRow {
        time: at(info, t),
        server: server.map(ServerId),
        event,
    }
}
